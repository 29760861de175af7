#include "demo/load_disconnect.h"

#include <algorithm>

namespace vidyut::demo {

namespace {
// The check during a window comes 5 minutes before its end (25 minutes after recharges in its
// middle: a wrong reconnection would have reached the meters by then); the one after it 30
// minutes after (a meter that only pushes hears its command at its next session: up to 15
// minutes and the push spread later, and the restore itself may come a minute late) and once
// the head end reports every reconnection carried out.
constexpr Millis kCheckMargin{5 * 60'000};
constexpr Millis kAfterMargin{30 * 60'000};
constexpr Millis kGiveUp{3 * 3'600'000};
}  // namespace

bool DisconnectCheck::ok() const {
  return error.empty() && chosen > 0 && open_during + dark_during == chosen &&
         closed_after + dark_after == expected_closed_after &&
         dark_after_closed_later + dark_after_still_dark == dark_after &&
         held_after == expected_held_after &&
         closed_after_recharge + dark_after_recharge == expected_held_after;
}

DisconnectScenario::DisconnectScenario(mdm::LoadControl& lc, Truth truth)
    : lc_(lc), truth_(std::move(truth)) {}

void DisconnectScenario::add(DisconnectPlan p) {
  DisconnectCheck c;
  c.name = p.name;
  c.dt = p.dt;
  c.chosen = p.without_balance.size() + p.with_balance.size();
  checks_.push_back(std::move(c));
  plans_.push_back(std::move(p));
  phase_.push_back(Phase::kPending);
  dark_after_.emplace_back();
}

std::vector<std::uint32_t> DisconnectScenario::held_by_load_control() const {
  std::vector<std::uint32_t> out;
  for (const auto& p : plans_) {
    const UtcTime end = p.at + Millis(p.minutes * 60'000);
    if (p.recharge_at >= p.at && p.recharge_at < end) {
      out.insert(out.end(), p.without_balance.begin(), p.without_balance.end());
    }
  }
  return out;
}

void DisconnectScenario::tick(UtcTime now) {
  for (std::size_t k = 0; k < plans_.size(); ++k) {
    const DisconnectPlan& p = plans_[k];
    DisconnectCheck& c = checks_[k];
    const UtcTime end = p.at + Millis(p.minutes * 60'000);
    const bool recharge_inside = p.recharge_at >= p.at && p.recharge_at < end;
    std::vector<std::uint32_t> all = p.without_balance;
    all.insert(all.end(), p.with_balance.begin(), p.with_balance.end());
    switch (phase_[k]) {
      case Phase::kPending: {
        if (now < p.at) break;
        std::vector<std::string> serials;
        for (auto i : all) serials.push_back(truth_.serial(i));
        auto a = lc_.disconnect(p.dt, serials, p.minutes, "demo-control-room", p.name);
        if (!a.ok()) {
          c.error = a.error().describe();
          phase_[k] = Phase::kDone;
          break;
        }
        c.action_id = a->id;
        phase_[k] = Phase::kActive;
        break;
      }
      case Phase::kActive: {
        if (now < end - kCheckMargin) break;
        for (auto i : all) {
          if (!truth_.relay_closed(i)) {
            ++c.open_during;
          } else if (!truth_.supplied(i)) {
            ++c.dark_during;
          }
        }
        if (recharge_inside) c.recharged_inside = p.without_balance.size();
        phase_[k] = Phase::kRestored;
        break;
      }
      case Phase::kRestored: {
        if (now < end + kAfterMargin) break;
        // The truth is read once the head end has carried out every reconnection (a loaded
        // machine delivers late), or after three hours at the most.
        if (now < end + kGiveUp) {
          auto act = lc_.action(c.action_id);
          if (act.ok() && *act) {
            auto prog = lc_.progress(**act);
            if (prog.ok() &&
                (prog->restore_pending > 0 || (*act)->state != mdm::LoadActionState::kRestored)) {
              break;
            }
          }
        }
        // With balance (or recharged inside the window): reconnected; without: billing holds.
        const std::vector<std::uint32_t>& held =
            recharge_inside ? std::vector<std::uint32_t>{} : p.without_balance;
        std::vector<std::uint32_t> back = p.with_balance;
        if (recharge_inside)
          back.insert(back.end(), p.without_balance.begin(), p.without_balance.end());
        c.expected_closed_after = back.size();
        c.expected_held_after = held.size();
        for (auto i : back) {
          if (truth_.relay_closed(i)) {
            ++c.closed_after;
          } else if (!truth_.supplied(i)) {
            ++c.dark_after;
            dark_after_[k].push_back(i);
          }
        }
        for (auto i : held) c.held_after += truth_.relay_closed(i) ? 0 : 1;
        phase_[k] = Phase::kLate;
        break;
      }
      case Phase::kLate: {
        // An hour after the later of the window's end and the recharges.
        if (now < std::max(end, p.recharge_at) + Millis(3'600'000)) break;
        if (!recharge_inside) {
          for (auto i : p.without_balance) {
            if (truth_.relay_closed(i)) {
              ++c.closed_after_recharge;
            } else if (!truth_.supplied(i)) {
              ++c.dark_after_recharge;
            }
          }
        }
        for (auto i : dark_after_[k]) {
          if (truth_.relay_closed(i)) {
            ++c.dark_after_closed_later;
          } else if (!truth_.supplied(i)) {
            ++c.dark_after_still_dark;
          }
        }
        phase_[k] = Phase::kDone;
        break;
      }
      case Phase::kDone:
        break;
    }
  }
}

bool DisconnectScenario::ok() const {
  if (plans_.empty()) return false;
  for (std::size_t k = 0; k < checks_.size(); ++k) {
    if (phase_[k] != Phase::kDone || !checks_[k].ok()) return false;
  }
  return true;
}

}  // namespace vidyut::demo
