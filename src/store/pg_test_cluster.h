// A throwaway PostgreSQL cluster for tests and benchmarks: initdb in a fresh temporary folder,
// a server listening only on a Unix socket in that folder (no TCP port), stopped and deleted by
// the destructor. Header-only test support: included by store_test and bench/pg_ingest_bench,
// never linked into the product.
//
// The server binaries are found in $VIDYUT_PG_BINDIR, else the newest /usr/lib/postgresql/N/bin
// (Debian's postgresql package), else on PATH. initdb refuses to run as root: when the process
// is root (CI containers, this project's machines), the folder is given to the unprivileged user
// `nobody` and initdb, pg_ctl and the server run as that user (the child drops its groups, gid
// and uid before exec); root still connects through the socket.
#pragma once

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace vidyut::store::testing {

class PgTestCluster {
 public:
  struct Options {
    // Test clusters skip fsync (throwaway data); a benchmark measures the durable default.
    bool durable = false;
    std::string shared_buffers = "128MB";
    // More server settings, "name=value" each (a benchmark's max_wal_size, ...).
    std::vector<std::string> settings;
  };

  // Starts a cluster, or says why it could not (binaries missing, initdb or start failing, with
  // the tail of the log).
  static Result<std::unique_ptr<PgTestCluster>> start(const Options& o) {
    auto c = std::unique_ptr<PgTestCluster>(new PgTestCluster());
    VIDYUT_CHECK(c->init(o));
    return c;
  }
  static Result<std::unique_ptr<PgTestCluster>> start() { return start(Options{}); }

  ~PgTestCluster() {
    if (started_) (void)run({bin("pg_ctl"), "-D", data(), "-m", "immediate", "-w", "stop"});
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  PgTestCluster(const PgTestCluster&) = delete;
  PgTestCluster& operator=(const PgTestCluster&) = delete;

  // The URL of database `db` on this cluster (superuser "vidyut", the socket folder as host).
  std::string url(const std::string& db) const {
    return "postgresql:///" + db + "?host=" + dir_ + "&user=vidyut";
  }

  // Creates database `name` (letters, digits, underscores) and returns its URL.
  Result<std::string> create_database(const std::string& name) {
    PGconn* c = PQconnectdb(url("postgres").c_str());
    std::string err;
    if (PQstatus(c) != CONNECTION_OK) {
      err = PQerrorMessage(c);
    } else {
      char* ident = PQescapeIdentifier(c, name.c_str(), name.size());
      const std::string sql = std::string("CREATE DATABASE ") + (ident ? ident : "\"\"");
      PQfreemem(ident);
      PGresult* r = PQexec(c, sql.c_str());
      if (PQresultStatus(r) != PGRES_COMMAND_OK) err = PQresultErrorMessage(r);
      PQclear(r);
    }
    PQfinish(c);
    if (!err.empty()) return Error(Errc::kIo, "create database " + name + ": " + err);
    return url(name);
  }

  const std::string& dir() const { return dir_; }

 private:
  PgTestCluster() = default;

  std::string data() const { return dir_ + "/data"; }
  std::string bin(const char* name) const { return bindir_ + "/" + name; }

  static std::string find_bindir() {
    namespace fs = std::filesystem;
    auto has_tools = [](const fs::path& d) {
      return ::access((d / "initdb").c_str(), X_OK) == 0 &&
             ::access((d / "pg_ctl").c_str(), X_OK) == 0;
    };
    if (const char* env = std::getenv("VIDYUT_PG_BINDIR"); env && *env) {
      return has_tools(env) ? std::string(env) : std::string();
    }
    std::string best;
    int best_version = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
      const int v = std::atoi(e.path().filename().c_str());
      if (v > best_version && has_tools(e.path() / "bin")) {
        best_version = v;
        best = (e.path() / "bin").string();
      }
    }
    if (!best.empty()) return best;
    if (const char* path = std::getenv("PATH")) {
      std::string p(path);
      for (std::size_t at = 0; at <= p.size();) {
        const std::size_t end = std::min(p.find(':', at), p.size());
        const fs::path d = p.substr(at, end - at);
        if (!d.empty() && has_tools(d)) return d.string();
        at = end + 1;
      }
    }
    return {};
  }

  // Runs argv with output appended to the cluster's log, as the unprivileged user when root.
  // The exit status, or -1.
  int run(const std::vector<std::string>& argv) const {
    std::vector<char*> args;  // built before fork: the child only makes system calls
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const std::string log_path = dir_ + "/tools.log";
    const pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
      const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (log >= 0) {
        ::dup2(log, 1);
        ::dup2(log, 2);
      }
      if (::chdir(dir_.c_str()) != 0) ::_exit(126);
      if (drop_) {
        if (::setgroups(0, nullptr) != 0 || ::setgid(gid_) != 0 || ::setuid(uid_) != 0) {
          ::_exit(125);
        }
      }
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string log_tail() const {
    std::string all;
    for (const char* f : {"/tools.log", "/server.log"}) {
      FILE* in = std::fopen((dir_ + f).c_str(), "r");
      if (!in) continue;
      char buf[4096];
      std::size_t n = 0;
      while ((n = std::fread(buf, 1, sizeof buf, in)) > 0) all.append(buf, n);
      std::fclose(in);
    }
    return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
  }

  Status init(const Options& o) {
    bindir_ = find_bindir();
    if (bindir_.empty()) {
      return Error(Errc::kUnsupported,
                   "PostgreSQL server binaries (initdb, pg_ctl) not found in $VIDYUT_PG_BINDIR, "
                   "/usr/lib/postgresql/N/bin or PATH: install Debian's postgresql package "
                   "(scripts/setup.sh does) to run the PostgreSQL tests");
    }
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/vidyut-pg-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Error(Errc::kIo, "cannot create a temporary folder for PostgreSQL");
    }
    dir_ = pattern;
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("nobody");
      if (pw == nullptr) return Error(Errc::kIo, "running as root and there is no user nobody");
      uid_ = pw->pw_uid;
      gid_ = pw->pw_gid;
      drop_ = true;
      if (::chown(dir_.c_str(), uid_, gid_) != 0) {
        return Error(Errc::kIo, "cannot give " + dir_ + " to user nobody");
      }
    }
    // A socket path is limited to 107 bytes: the folder's own name is short.
    if (run({bin("initdb"), "-D", data(), "-U", "vidyut", "--auth=trust", "-E", "UTF8",
             "--locale=C", "--no-sync"}) != 0) {
      return Error(Errc::kIo, "initdb failed (" + bindir_ + "): " + log_tail());
    }
    std::string server_opts = "-k " + dir_ +
                              " -c listen_addresses= -c shared_buffers=" + o.shared_buffers +
                              " -c max_connections=50";
    if (!o.durable)
      server_opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
    if (run({bin("pg_ctl"), "-D", data(), "-l", dir_ + "/server.log", "-w", "-t", "60", "-o",
             server_opts, "start"}) != 0) {
      return Error(Errc::kIo, "pg_ctl start failed (" + bindir_ + "): " + log_tail());
    }
    started_ = true;
    return ok_status();
  }

  std::string dir_;
  std::string bindir_;
  bool started_ = false;
  bool drop_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

}  // namespace vidyut::store::testing
