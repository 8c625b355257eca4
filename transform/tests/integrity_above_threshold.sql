-- Every integrity finding's figure is above its threshold.
SELECT * FROM work.mart_integrity WHERE NOT (figure > threshold)
