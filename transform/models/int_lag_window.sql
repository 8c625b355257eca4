-- Whether I11's window (the period's length, ending six months before its
-- end) counts: only once every city could have sent it, so not when it
-- starts before the first month anyone uploaded.
SELECT coalesce(any_value(p.lag_start) >= min(v.month), false) AS known
FROM scratch.params p, scratch.int_counting_versions v
