-- The language each dashboard user reads the pages in (ru or en); Russian unless they chose otherwise.
ALTER TABLE users ADD COLUMN language VARCHAR DEFAULT 'ru';
