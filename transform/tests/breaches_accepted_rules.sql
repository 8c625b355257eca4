-- Breaches name a known rule.
SELECT * FROM scratch.int_subsidy_breaches
WHERE rule NOT IN ('si_group', 'si_two_thirds', 'si_months_hard_to_employ', 'si_months_graduate', 'venue_months', 'public_post_wage', 'si_after_retirement')
