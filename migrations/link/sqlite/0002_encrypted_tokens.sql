-- Encrypted link tokens: the access and refresh tokens sealed (AES-256-GCM, bound to the row's
-- member and LINE user) under the key whose id is in token_key_id. The plain columns stay for
-- rows written before a key was configured (encrypted on first read or by reencrypt_tokens) and
-- for apps that opted in to plain text.
ALTER TABLE line_login_member_links ADD COLUMN token_key_id TEXT;
ALTER TABLE line_login_member_links ADD COLUMN sealed_tokens TEXT;
