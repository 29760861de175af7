#include "store/sqlite_db.h"

namespace vidyut::store::sql {

Database::~Database() {
  stmts_.clear();
  if (db_ != nullptr) sqlite3_close(db_);
}

Status Database::open(const std::filesystem::path& dir, const char* file, const char* part,
                      int version, const char* schema, std::initializer_list<Upgrade> upgrades) {
  const auto path = dir / file;
  file_ = file;
  VIDYUT_CHECK(open_durable(dir.string(), file, &db_));
  const std::string key = std::string("schema-") + part;
  auto r = txn([&]() -> Result<bool> {
    VIDYUT_CHECK(exec(db_,
                      "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT "
                      "NOT NULL)",
                      "create meta"));
    {
      VIDYUT_TRY(s, stmt("SELECT value FROM meta WHERE key = ?"));
      Use u(**s);
      u.bind(key);
      VIDYUT_TRY(row, u.step());
      if (*row && std::stoll(u.text(0)) > version) {
        return Error(Errc::kUnsupported, path.string() + " has " + part + " schema " + u.text(0) +
                                             "; this build knows " + std::to_string(version) +
                                             " (upgrade vidyut)");
      }
      if (*row) {
        const long long had = std::stoll(u.text(0));
        for (const auto& up : upgrades) {
          if (up.to_version <= had || up.to_version > version) continue;
          VIDYUT_CHECK(
              exec(db_, up.sql,
                   std::string("upgrade ") + part + " schema to " + std::to_string(up.to_version)));
        }
      }
    }
    VIDYUT_CHECK(exec(db_, schema, std::string("create ") + part + " schema"));
    VIDYUT_TRY(s, stmt("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"));
    Use u(**s);
    u.bind(key).bind(std::to_string(version));
    VIDYUT_TRY(row, u.step());
    (void)row;
    return true;
  });
  if (!r.ok()) return r.error();
  return ok_status();
}

Result<Stmt*> Database::stmt(const std::string& sql) {
  for (std::size_t i = 0; i < sqls_.size(); ++i) {
    if (sqls_[i] == sql) return stmts_[i].get();
  }
  auto s = std::make_unique<Stmt>();
  VIDYUT_CHECK(s->prepare(db_, sql));
  sqls_.push_back(sql);
  stmts_.push_back(std::move(s));
  return stmts_.back().get();
}

Status Database::fault() {
  if (fail_after_ < 0) return ok_status();
  if (fail_after_ == 0) return Error(Errc::kIo, file_ + ": injected write failure");
  --fail_after_;
  return ok_status();
}

}  // namespace vidyut::store::sql
