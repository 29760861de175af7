#include "dlms/cosem/disconnect_control.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vidyut::dlms::cosem {
namespace {

using CS = ControlState;
using T = DisconnectTransition;
const AccessContext kCtx{48, UtcTime{}};

// The Blue Book class 70 table of transitions allowed per control_mode (see the header).
TEST(DisconnectControlTest, AllowedTransitionsPerMode) {
  const char* expected[] = {"", "bcdefg", "abcefg", "bcdeg", "abceg", "bcdefgh", "abcegh"};
  for (std::uint8_t mode = 0; mode <= 7; ++mode) {
    std::string got;
    for (char c = 'a'; c <= 'h'; ++c) {
      if (DisconnectControl::allowed(mode, static_cast<T>(c))) got += c;
    }
    EXPECT_EQ(got, mode <= 6 ? expected[mode] : "") << "mode " << int(mode);
  }
}

struct Step {
  int method;  // 1 remote_disconnect, 2 remote_reconnect
  ActionResult result;
  CS after;
};

// Remote methods from each state, per mode. Start connected.
void run(std::uint8_t mode, std::vector<Step> steps) {
  DisconnectControl dc(mode);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    auto out = dc.action(static_cast<std::int8_t>(steps[i].method), Data::integer(0), kCtx);
    EXPECT_EQ(out.result, steps[i].result) << "mode " << int(mode) << " step " << i;
    EXPECT_EQ(dc.control_state(), steps[i].after) << "mode " << int(mode) << " step " << i;
    EXPECT_EQ(dc.output_state(), steps[i].after == CS::kConnected);
  }
}

TEST(DisconnectControlTest, Mode0IsAlwaysConnected) {
  run(0, {{1, ActionResult::kTemporaryFailure, CS::kConnected},
          {2, ActionResult::kSuccess, CS::kConnected}});
  DisconnectControl dc(0, CS::kDisconnected);
  EXPECT_EQ(dc.control_state(), CS::kConnected);
  EXPECT_FALSE(dc.local_disconnect());
  EXPECT_FALSE(dc.manual_disconnect());
}

TEST(DisconnectControlTest, DirectRemoteReconnectModes135) {
  for (int mode : {1, 3, 5}) {
    run(static_cast<std::uint8_t>(mode),
        {{1, ActionResult::kSuccess, CS::kDisconnected},  // c
         {1, ActionResult::kSuccess, CS::kDisconnected},  // already there
         {2, ActionResult::kSuccess, CS::kConnected},     // d
         {2, ActionResult::kSuccess, CS::kConnected}});
  }
}

TEST(DisconnectControlTest, ArmingRemoteReconnectModes246) {
  for (int mode : {2, 4, 6}) {
    DisconnectControl dc(static_cast<std::uint8_t>(mode));
    EXPECT_EQ(dc.action(1, Data::integer(0), kCtx).result, ActionResult::kSuccess);  // c
    EXPECT_EQ(dc.control_state(), CS::kDisconnected);
    EXPECT_EQ(dc.action(2, Data::integer(0), kCtx).result, ActionResult::kSuccess);  // a
    EXPECT_EQ(dc.control_state(), CS::kReadyForReconnection);
    EXPECT_FALSE(dc.output_state());
    EXPECT_EQ(dc.action(2, Data::integer(0), kCtx).result, ActionResult::kSuccess);  // armed
    EXPECT_EQ(dc.control_state(), CS::kReadyForReconnection);
    EXPECT_EQ(dc.action(1, Data::integer(0), kCtx).result, ActionResult::kSuccess);  // b
    EXPECT_EQ(dc.control_state(), CS::kDisconnected);
    EXPECT_EQ(dc.action(2, Data::integer(0), kCtx).result, ActionResult::kSuccess);  // a
    EXPECT_TRUE(dc.manual_reconnect());                                              // e
    EXPECT_EQ(dc.control_state(), CS::kConnected);
  }
}

TEST(DisconnectControlTest, LocalAndManualTransitions) {
  // Manual disconnect (f) only in modes 1, 2, 5.
  for (std::uint8_t mode = 1; mode <= 6; ++mode) {
    DisconnectControl dc(mode);
    bool manual = mode == 1 || mode == 2 || mode == 5;
    EXPECT_EQ(dc.manual_disconnect(), manual) << int(mode);
    if (!manual) {
      EXPECT_TRUE(dc.local_disconnect());  // g in every mode 1..6
    }
    EXPECT_EQ(dc.control_state(), CS::kReadyForReconnection);
    // Local reconnect (h) only in modes 5, 6.
    EXPECT_EQ(dc.local_reconnect(), mode >= 5) << int(mode);
    if (mode < 5) {
      // Remote reconnect from ready: modes 2/4 are "armed" already; modes 1/3 need the button.
      auto r = dc.action(2, Data::integer(0), kCtx).result;
      EXPECT_EQ(r,
                mode == 2 || mode == 4 ? ActionResult::kSuccess : ActionResult::kTemporaryFailure);
      EXPECT_TRUE(dc.manual_reconnect());
    }
    EXPECT_EQ(dc.control_state(), CS::kConnected);
    EXPECT_FALSE(dc.manual_reconnect());  // e needs ready_for_reconnection
  }
}

TEST(DisconnectControlTest, ObserverSeesEveryChange) {
  std::vector<std::string> log;
  DisconnectControl dc(2);
  dc.set_observer([&](const DisconnectControl&, T t, CS from, CS to) {
    log.push_back(std::string(1, static_cast<char>(t)) + std::to_string(int(from)) +
                  std::to_string(int(to)));
  });
  (void)dc.action(1, std::nullopt, kCtx);
  (void)dc.action(1, std::nullopt, kCtx);  // no change, no event
  (void)dc.action(2, Data(), kCtx);
  dc.manual_reconnect();
  dc.local_disconnect();
  EXPECT_EQ(dc.set(4, Data::enumerated(0), kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(log, (std::vector<std::string>{"c10", "a02", "e21", "g12", "m21"}));
}

TEST(DisconnectControlTest, AttributesAndErrors) {
  DisconnectControl dc(4);
  EXPECT_EQ(dc.class_id(), 70);
  EXPECT_EQ(dc.logical_name(), (Obis{0, 0, 96, 3, 10, 255}));
  EXPECT_EQ(std::get<Data>(dc.get(2, std::nullopt, kCtx)), Data::boolean(true));
  EXPECT_EQ(std::get<Data>(dc.get(3, std::nullopt, kCtx)), Data::enumerated(1));
  EXPECT_EQ(std::get<Data>(dc.get(4, std::nullopt, kCtx)), Data::enumerated(4));
  EXPECT_EQ(dc.set(2, Data::boolean(false), kCtx), DataAccessResult::kReadWriteDenied);
  EXPECT_EQ(dc.set(3, Data::enumerated(0), kCtx), DataAccessResult::kReadWriteDenied);
  EXPECT_EQ(dc.set(4, Data::enumerated(7), kCtx), DataAccessResult::kOtherReason);
  EXPECT_EQ(dc.set(4, Data::unsigned_(1), kCtx), DataAccessResult::kTypeUnmatched);
  EXPECT_EQ(dc.set(4, Data::enumerated(6), kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(dc.control_mode(), 6);
  EXPECT_EQ(dc.action(1, Data::visible_string("x"), kCtx).result, ActionResult::kTypeUnmatched);
  EXPECT_EQ(dc.control_state(), CS::kConnected);
  EXPECT_EQ(dc.action(3, Data::integer(0), kCtx).result, ActionResult::kObjectUndefined);
  EXPECT_EQ(dc.action(0, Data::integer(0), kCtx).result, ActionResult::kObjectUndefined);
}

}  // namespace
}  // namespace vidyut::dlms::cosem
