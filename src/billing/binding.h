// billing.db and the registry it bills belong together (docs/billing.md, "Which registry a
// billing.db bills"). Each records the other's identity the first time they meet: the store
// keeps the id of its billing database, billing.db the id of its store. Later, a billing.db
// that is new or replaced (lost, restored from the wrong backup, copied from another data
// directory) is refused instead of reopening every account at Rs 0 and reporting balanced books.
#pragma once

#include <string>

#include "billing/ledger.h"
#include "core/result.h"
#include "store/store.h"

namespace vidyut::billing {

inline constexpr const char* kStoreIdKey = "store-id";
inline constexpr const char* kBillingIdKey = "billing-id";

// Creates the identities on first use and checks they match. kInvalidArgument naming both ids
// and what to do when they do not.
Status check_binding(BillingDb& db, store::Store& store);

// Binds this billing.db to this store on purpose (an operator starting billing over, with
// `vidyut billing bind --force`), replacing what either recorded.
Status rebind(BillingDb& db, store::Store& store);

}  // namespace vidyut::billing
