-- Every integrity finding's figure is beyond its threshold: above it; below
-- it for a drop (K4, a ratio under 1); at least it for K9's median.
SELECT * FROM scratch.mart_integrity
WHERE NOT (figure > threshold OR check_id = 'K4' AND figure < 1 AND figure < threshold OR check_id = 'K9' AND figure >= threshold)
