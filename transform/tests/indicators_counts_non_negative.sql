-- Numerators and denominators are counts: never negative.
SELECT * FROM scratch.mart_indicators WHERE numerator < 0 OR denominator < 0
