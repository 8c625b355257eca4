-- Shares are in [0, 1]. I1, I6 and I7 are rates that may exceed 1, and so may
-- I13: pension enrolment counts every flexible worker, not only this period's registrants.
SELECT * FROM work.mart_indicators
WHERE indicator NOT IN ('I1', 'I6', 'I7', 'I13') AND (value < 0 OR value > 1)
