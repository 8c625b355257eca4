-- Counties (区县): each county's figures of the latest assessment of a
-- period, for the indicators of person rows, and per city how many of the
-- period's person rows fell under the city's own code or a code not in the
-- county table. Shown where a city works; never ranked, never in the index.
-- A new assessment of a period replaces its rows.
CREATE TABLE county_values (
    period      VARCHAR NOT NULL,
    city_code   VARCHAR NOT NULL,
    county_code VARCHAR NOT NULL, -- the city's own code: 市本级/未分区县
    county_name VARCHAR NOT NULL,
    indicator   VARCHAR NOT NULL,
    numerator   DOUBLE,
    denominator DOUBLE,
    value       DOUBLE,
    PRIMARY KEY (period, city_code, county_code, indicator)
);

CREATE TABLE county_areas (
    period       VARCHAR NOT NULL,
    city_code    VARCHAR NOT NULL,
    own_rows     BIGINT NOT NULL, -- rows under the city's own code
    unknown_rows BIGINT NOT NULL, -- rows under a code not in the county table
    unknown_codes VARCHAR NOT NULL, -- those codes, comma-separated
    PRIMARY KEY (period, city_code)
);
