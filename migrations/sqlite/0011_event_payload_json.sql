-- PostgreSQL's events.payload becomes json (the writer's text); SQLite stores that text already.
SELECT 1;
