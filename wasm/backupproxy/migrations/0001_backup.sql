-- Server-side key backup storage (Matrix spec, "Server-side key backups").
-- One row per backup version and one per stored room key. Deleted versions
-- keep their row (deleted = 1) so version ids are never handed out twice.
CREATE TABLE backup_versions (
  user_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  algorithm TEXT NOT NULL,
  auth_data TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  -- Kept by the triggers below in the same statement as the rows: the
  -- number of keys and the XOR of their 52-bit row hashes (the etag).
  key_count INTEGER NOT NULL DEFAULT 0,
  key_hash INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, version)
) WITHOUT ROWID;

CREATE TABLE backup_keys (
  user_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  room_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  first_message_index INTEGER NOT NULL,
  forwarded_count INTEGER NOT NULL,
  is_verified INTEGER NOT NULL,
  session_data TEXT NOT NULL,
  row_hash INTEGER NOT NULL,
  PRIMARY KEY (user_id, version, room_id, session_id)
) WITHOUT ROWID;

-- SQLite has no XOR operator: for non-negative a, b, (a | b) - (a & b) is a XOR b.
CREATE TRIGGER backup_keys_insert AFTER INSERT ON backup_keys BEGIN
  UPDATE backup_versions
  SET key_count = key_count + 1,
      key_hash = (key_hash | NEW.row_hash) - (key_hash & NEW.row_hash)
  WHERE user_id = NEW.user_id AND version = NEW.version;
END;

CREATE TRIGGER backup_keys_update AFTER UPDATE ON backup_keys BEGIN
  UPDATE backup_versions
  SET key_hash = ((((key_hash | OLD.row_hash) - (key_hash & OLD.row_hash)) | NEW.row_hash)
                - (((key_hash | OLD.row_hash) - (key_hash & OLD.row_hash)) & NEW.row_hash))
  WHERE user_id = NEW.user_id AND version = NEW.version;
END;

CREATE TRIGGER backup_keys_delete AFTER DELETE ON backup_keys BEGIN
  UPDATE backup_versions
  SET key_count = key_count - 1,
      key_hash = (key_hash | OLD.row_hash) - (key_hash & OLD.row_hash)
  WHERE user_id = OLD.user_id AND version = OLD.version;
END;
