-- Shares (the declaration's unit) are in [0, 1], the capped ones included;
-- per-capita rates and ratios may exceed 1.
SELECT * FROM scratch.mart_indicators m JOIN scratch.ref_indicators i USING (indicator)
WHERE i.unit = 'share' AND (m.value < 0 OR m.value > 1)
