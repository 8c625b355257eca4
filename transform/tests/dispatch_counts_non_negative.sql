-- A task's monthly count is never negative, and a month is the first of one.
SELECT * FROM scratch.dispatch_counts WHERE n < 0 OR day(month) <> 1
