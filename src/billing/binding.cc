#include "billing/binding.h"

#include <cstdint>
#include <random>

#include <fmt/format.h>

namespace vidyut::billing {
namespace {

// 128 random bits as 32 hex digits: an identity, not a secret.
std::string new_id() {
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 4; ++i) id += fmt::format("{:08x}", static_cast<std::uint32_t>(rd()));
  return id;
}

}  // namespace

Status check_binding(BillingDb& db, store::Store& store) {
  VIDYUT_TRY(store_id, store.meta_or_set(kStoreIdKey, new_id()));
  VIDYUT_TRY(billed_store, db.meta_or_set(kStoreIdKey, *store_id));
  if (*billed_store != *store_id) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("billing.db bills another data directory's registry (store {}), not "
                             "this one (store {}): use the billing.db that belongs here",
                             *billed_store, *store_id));
  }
  VIDYUT_TRY(billing_id, db.meta_or_set(kBillingIdKey, new_id()));
  VIDYUT_TRY(bound, store.meta_or_set(kBillingIdKey, *billing_id));
  if (*bound != *billing_id) {
    return Error(
        Errc::kInvalidArgument,
        fmt::format("this registry is billed by another billing.db (id {}); this billing.db (id "
                    "{}) is new or replaced, and would reopen every account at Rs 0: restore the "
                    "billing.db of this data directory, or start billing over on purpose with "
                    "`vidyut billing bind --force`",
                    *bound, *billing_id));
  }
  return ok_status();
}

Status rebind(BillingDb& db, store::Store& store) {
  VIDYUT_TRY(store_id, store.meta_or_set(kStoreIdKey, new_id()));
  VIDYUT_CHECK(db.set_meta(kStoreIdKey, *store_id));
  VIDYUT_TRY(billing_id, db.meta_or_set(kBillingIdKey, new_id()));
  return store.set_meta(kBillingIdKey, *billing_id);
}

}  // namespace vidyut::billing
