-- Every integrity finding's figure is above its threshold.
SELECT * FROM scratch.mart_integrity WHERE NOT (figure > threshold)
