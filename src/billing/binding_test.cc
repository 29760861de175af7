// billing.db and the registry it bills belong together (issue 16: with billing.db lost, an empty
// one reported balanced books and reopened every account at Rs 0).
#include "billing/binding.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "billing/test_rig.h"

namespace vidyut::billing {
namespace {

TEST(Binding, ALostBillingDbIsRefusedUntilBoundOnPurpose) {
  Rig rig("binding");
  rig.recharge(0, 50'000, "PAY-1");
  ASSERT_EQ(rig.wallet(), 50'000);
  // billing.db is lost: a new, empty one appears in its place.
  rig.engine.reset();
  rig.db.reset();
  std::filesystem::remove(rig.dir / "billing.db");
  std::filesystem::remove(rig.dir / "billing.db-wal");
  std::filesystem::remove(rig.dir / "billing.db-shm");
  rig.db = std::move(*BillingDb::open(rig.dir));
  Engine engine(*rig.db, *rig.store, rig.clock, tariff::builtin_tariffs(), rig.options, &rig.relay,
                rig.usage);
  auto st = engine.start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kInvalidArgument);
  EXPECT_NE(st.error().message.find("new or replaced"), std::string::npos) << st.error().message;
  EXPECT_TRUE(rig.db->accounts()->empty()) << "nothing was opened at Rs 0";
  auto again = check_binding(*rig.db, *rig.store);
  EXPECT_FALSE(again.ok());
  // The operator starts billing over on purpose.
  ASSERT_TRUE(rebind(*rig.db, *rig.store).ok());
  EXPECT_TRUE(check_binding(*rig.db, *rig.store).ok());
  EXPECT_TRUE(engine.start().ok());
}

TEST(Binding, ABillingDbOfAnotherRegistryIsRefused) {
  Rig a("binding-a");
  Rig b("binding-b");
  a.recharge(0, 10'000, "PAY-A");
  // b's store with a's billing.db.
  b.engine.reset();
  Engine engine(*a.db, *b.store, b.clock, tariff::builtin_tariffs(), b.options, &b.relay, b.usage);
  auto st = engine.start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("another data directory"), std::string::npos)
      << st.error().message;
}

TEST(Binding, IdentitiesAreCreatedOnceAndKept) {
  Rig rig("binding-ids");
  auto id1 = rig.store->meta_or_set(kStoreIdKey, "ignored-when-set");
  ASSERT_TRUE(id1.ok());
  EXPECT_EQ(id1->size(), 32u);
  rig.restart();
  auto id2 = rig.store->meta_or_set(kStoreIdKey, "other");
  ASSERT_TRUE(id2.ok());
  EXPECT_EQ(*id1, *id2);
  EXPECT_FALSE(rig.store->meta_or_set("bad\nkey", "x").ok());
  EXPECT_FALSE(rig.store->meta_or_set(kStoreIdKey, "\xFF").ok());
}

}  // namespace
}  // namespace vidyut::billing
