-- The Raw movies.csv or series.csv as Athena reads it for the Trusted SQL (accepted.sql
-- and rejects.sql): one string column holding each whole line, so that the SQL counts
-- the fields itself and refuses a wrong count as the Polars path does.
-- Its LOCATION is the folder holding the one CSV file; the header line is skipped.
-- 'field.delim' = '-1' is the byte 0xFF (a number is read as a byte, as Hive reads it),
-- which valid UTF-8 never holds: a line is never cut into fields, whatever it holds
-- ('\u0001' could be data). 'serialization.null.format' = '' keeps a line `\N` as text
-- (the default would read it as null); an empty line comes as null, and the SQL reads
-- that null as the empty line it was. No escape character: a backslash is data.
CREATE EXTERNAL TABLE ${raw_table} (line string)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe'
WITH SERDEPROPERTIES (
    'field.delim' = '-1',
    'serialization.null.format' = ''
)
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '${raw_location}'
TBLPROPERTIES ('skip.header.line.count' = '1')
