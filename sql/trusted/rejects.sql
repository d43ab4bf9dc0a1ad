-- The lines of a Raw CSV that the Polars path refuses, each as it was (`raw`: as text,
-- bytes that are not UTF-8 shown as U+FFFD) with the Polars path's reason. Athena
-- cannot say which line of the file it was, so the quarantine written from these rows
-- has no `line`.
${checked_lines}SELECT text AS raw, reason
FROM checked
WHERE reason IS NOT NULL
