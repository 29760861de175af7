// `vidyut operators add/list/password/roles/disable/enable`: the control room's operators and
// their roles (docs/api.md, "Operators"). Passwords are read from standard input (the first
// line), never from the command line, where other users of the machine could see them.
#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "access/book.h"
#include "access/roles.h"
#include "cli/commands.h"
#include "cli/data_options.h"
#include "core/clock.h"

namespace vidyut::cli {
namespace {

struct OperatorOptions {
  DataOptions data;
  std::string name;
  std::string roles;
  std::string by;
};

Result<std::string> read_password() {
  std::string line;
  if (!std::getline(std::cin, line)) {
    return Error(Errc::kInvalidArgument,
                 "give the password on standard input, e.g. `read -rs P; echo \"$P\" | vidyut "
                 "operators add ...`");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

template <typename F>
int with_book(const OperatorOptions& o, F&& body) {
  auto store = open_store(o.data);
  if (!store.ok()) return report_error("operators", store.error());
  const auto clock = business_clock(**store);
  auto book = access::AccessBook::open(o.data.data_dir, *clock, store->get());
  if (!book.ok()) return report_error("operators", book.error());
  return body(**book);
}

}  // namespace

void register_operators(CLI::App& app, Runner& run) {
  auto* ops = app.add_subcommand("operators", "Control-room operators and their roles");
  ops->require_subcommand(1);
  auto o = std::make_shared<OperatorOptions>();

  auto* add = ops->add_subcommand("add", "Add an operator (password on standard input)");
  add_data_options(add, o->data);
  add->add_option("name", o->name, "Sign-in name (lower-case letters, digits, . - _ @)")
      ->required();
  add->add_option("--roles", o->roles, "viewer, operator, billing, administrator (comma list)")
      ->required();
  add->add_option("--by", o->by, "The person the CLI acts for (audit trail)");
  add->callback([o, &run] {
    run = [o] {
      return with_book(*o, [&](access::AccessBook& book) {
        auto roles = access::parse_roles(o->roles);
        if (!roles) {
          return report_error("operators add",
                              Error(Errc::kInvalidArgument,
                                    "--roles takes viewer, operator, billing, administrator"));
        }
        auto pw = read_password();
        if (!pw.ok()) return report_error("operators add", pw.error());
        auto added = book.add_operator(o->name, *pw, *roles, actor_or_user(o->by));
        if (!added.ok()) return report_error("operators add", added.error());
        std::cout << fmt::format("operator {} added with roles {}\n", added->username,
                                 access::to_string(added->roles));
        return kExitOk;
      });
    };
  });

  auto* list = ops->add_subcommand("list", "List operators");
  add_data_options(list, o->data);
  list->callback([o, &run] {
    run = [o] {
      return with_book(*o, [&](access::AccessBook& book) {
        auto all = book.operators();
        if (!all.ok()) return report_error("operators list", all.error());
        for (const auto& x : *all) {
          std::cout << fmt::format("{:<24} {:<32} {:<9} added {} by {}\n", x.username,
                                   access::to_string(x.roles), x.disabled ? "disabled" : "active",
                                   format_iso8601(x.created), x.created_by);
        }
        return kExitOk;
      });
    };
  });

  auto* pw = ops->add_subcommand("password", "Set an operator's password (standard input)");
  add_data_options(pw, o->data);
  pw->add_option("name", o->name)->required();
  pw->add_option("--by", o->by, "The person the CLI acts for (audit trail)");
  pw->callback([o, &run] {
    run = [o] {
      return with_book(*o, [&](access::AccessBook& book) {
        auto p = read_password();
        if (!p.ok()) return report_error("operators password", p.error());
        if (auto st = book.set_password(o->name, *p, actor_or_user(o->by)); !st.ok()) {
          return report_error("operators password", st.error());
        }
        std::cout << "password set; the operator's sessions have ended\n";
        return kExitOk;
      });
    };
  });

  auto* roles = ops->add_subcommand("roles", "Set an operator's roles");
  add_data_options(roles, o->data);
  roles->add_option("name", o->name)->required();
  roles->add_option("--roles", o->roles, "viewer, operator, billing, administrator")->required();
  roles->add_option("--by", o->by, "The person the CLI acts for (audit trail)");
  roles->callback([o, &run] {
    run = [o] {
      return with_book(*o, [&](access::AccessBook& book) {
        auto r = access::parse_roles(o->roles);
        if (!r) {
          return report_error("operators roles",
                              Error(Errc::kInvalidArgument,
                                    "--roles takes viewer, operator, billing, administrator"));
        }
        if (auto st = book.set_roles(o->name, *r, actor_or_user(o->by)); !st.ok()) {
          return report_error("operators roles", st.error());
        }
        std::cout << "roles set; the operator's sessions have ended\n";
        return kExitOk;
      });
    };
  });

  for (const bool disable : {true, false}) {
    auto* c = ops->add_subcommand(
        disable ? "disable" : "enable",
        disable ? "Disable an operator (ends his sessions)" : "Enable a disabled operator");
    add_data_options(c, o->data);
    c->add_option("name", o->name)->required();
    c->add_option("--by", o->by, "The person the CLI acts for (audit trail)");
    c->callback([o, &run, disable] {
      run = [o, disable] {
        return with_book(*o, [&](access::AccessBook& book) {
          if (auto st = book.set_disabled(o->name, disable, actor_or_user(o->by)); !st.ok()) {
            return report_error("operators", st.error());
          }
          std::cout << fmt::format("operator {} {}\n", o->name, disable ? "disabled" : "enabled");
          return kExitOk;
        });
      };
    });
  }
}

}  // namespace vidyut::cli
