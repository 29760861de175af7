#include "fleet/topology.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace vidyut::fleet {
namespace {

using meter::counter_hash;
using meter::MeterKind;

// Hash streams of the topology generator (distinct from the load model's).
enum Stream : std::uint64_t {
  kDtSize = 1001,
  kConsumerKind = 1002,
  kConsumerCategory = 1003,
  kSanctioned = 1004,
  kKeys = 1005,
  kSims = 1006,
  kStaticIp = 1007,
  kMeterSeed = 1008,
  kDtRating = 1009,
};

double unit(std::uint64_t seed, std::uint64_t stream, std::uint64_t n) {
  return static_cast<double>(counter_hash(seed, stream, n) >> 11) * 0x1.0p-53;
}

MeterSecrets make_secrets(std::uint64_t seed, std::uint32_t index) {
  MeterSecrets s;
  static constexpr char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  for (int i = 0; i < 16; ++i) {
    const std::uint64_t h = counter_hash(seed, kKeys, std::uint64_t{index} * 64 + 32 + i);
    s.lls_password.push_back(kAlphabet[h % 32]);
  }
  for (std::size_t i = 0; i < 16; ++i) {
    s.ek[i] = static_cast<std::uint8_t>(counter_hash(seed, kKeys, std::uint64_t{index} * 64 + i));
    s.ak[i] =
        static_cast<std::uint8_t>(counter_hash(seed, kKeys, std::uint64_t{index} * 64 + 16 + i));
  }
  return s;
}

// Static addresses: 127.<64 + i / 65536>.<(i / 256) % 256>.<i % 256>, skipping .0 and .255 hosts
// is unnecessary on loopback, but 127.0.0.0/16 is left to the machine.
std::string static_ip(std::uint32_t index) {
  return fmt::format("127.{}.{}.{}", 64 + index / 65536, (index / 256) % 256, index % 256);
}

// A DT's nameplate as a planner would choose it: the consumers' connected load times a
// diversity factor (the simulated load peaks at about 0.6 of the connected load) over a planned
// peak utilisation drawn per DT from 0.6 to 1.2, rounded up to a standard rating. Most DTs have
// headroom; about one in ten is undersized and runs overloaded at the evening peak, as in a
// real network.
std::uint32_t dt_rating_kva(std::uint32_t connected_kw, double draw) {
  static constexpr std::uint32_t kRatings[] = {25, 63, 100, 160, 250, 315, 400, 500, 630};
  constexpr double kDiversity = 0.6;
  const double utilisation = 0.6 + 0.6 * draw;
  const double need = static_cast<double>(connected_kw) * kDiversity / utilisation;
  for (std::uint32_t r : kRatings) {
    if (r >= need) return r;
  }
  return kRatings[std::size(kRatings) - 1];
}

}  // namespace

std::int64_t Topology::find_serial(const std::string& serial) const {
  auto it = std::lower_bound(by_serial_.begin(), by_serial_.end(), serial,
                             [](const auto& e, const std::string& s) { return e.first < s; });
  if (it == by_serial_.end() || it->first != serial) return -1;
  return it->second;
}

void Topology::index_serials() {
  by_serial_.clear();
  by_serial_.reserve(meters.size());
  for (std::uint32_t i = 0; i < meters.size(); ++i) {
    by_serial_.emplace_back(meters[i].identity.serial, i);
  }
  std::sort(by_serial_.begin(), by_serial_.end());
}

Topology generate(const FleetSpec& spec_in) {
  FleetSpec spec = spec_in;
  spec.consumers = std::min(spec.consumers, kMaxFleetMeters);
  spec.consumers_per_dt = std::max<std::uint32_t>(spec.consumers_per_dt, 1);
  spec.dts_per_feeder = std::max<std::uint32_t>(spec.dts_per_feeder, 1);
  const std::uint64_t seed = spec.seed;

  // DT sizes: 60%..140% of the average until every consumer is placed.
  std::vector<std::uint32_t> dt_sizes;
  for (std::uint32_t placed = 0; placed < spec.consumers;) {
    const double f = 0.6 + 0.8 * unit(seed, kDtSize, dt_sizes.size());
    auto n = static_cast<std::uint32_t>(std::lround(f * spec.consumers_per_dt));
    n = std::clamp<std::uint32_t>(n, 1, spec.consumers - placed);
    dt_sizes.push_back(n);
    placed += n;
  }
  const auto n_dts = static_cast<std::uint32_t>(dt_sizes.size());
  const std::uint32_t n_feeders =
      std::max<std::uint32_t>(1, (n_dts + spec.dts_per_feeder - 1) / spec.dts_per_feeder);

  Topology t;
  t.meters.reserve(std::size_t{spec.consumers} + n_dts + n_feeders);
  std::uint32_t next_serial = 1;
  auto add_meter = [&](MeterKind kind, meter::ConsumerCategory cat, std::uint32_t sanctioned_w,
                       const std::string& feeder, const std::string& dt) -> std::uint32_t {
    const auto index = static_cast<std::uint32_t>(t.meters.size());
    MeterRecord r;
    const std::string serial = fmt::format("{:08d}", next_serial++);
    const std::uint64_t meter_seed = counter_hash(seed, kMeterSeed, index);
    r.identity = meter::make_identity(spec.manufacturer, serial, meter_seed, cat, sanctioned_w);
    r.identity.kind = kind;
    switch (kind) {
      case MeterKind::kSinglePhase:
        r.identity.current_rating = "5-30A";
        break;
      case MeterKind::kThreePhase:
        r.identity.current_rating = "10-60A";
        break;
      case MeterKind::kDt:
      case MeterKind::kFeeder:
        r.identity.current_rating = "-/5A";  // CT-operated
        break;
    }
    r.secrets = make_secrets(seed, index);
    r.feeder = feeder;
    r.dt = dt;
    const std::uint64_t h = counter_hash(seed, kSims, index);
    const std::size_t a = h % kOperators.size();
    const std::size_t b = (a + 1 + (h >> 8) % (kOperators.size() - 1)) % kOperators.size();
    r.sim_operator = {kOperators[a], kOperators[b]};
    if (kind == MeterKind::kDt || kind == MeterKind::kFeeder ||
        unit(seed, kStaticIp, index) < spec.static_ip_share) {
      r.static_ip = static_ip(index);
    }
    t.meters.push_back(std::move(r));
    return index;
  };

  std::uint32_t consumer_no = 0;
  for (std::uint32_t f = 0; f < n_feeders; ++f) {
    Feeder feeder;
    feeder.name = fmt::format("F{:04d}", f + 1);
    // An 11 kV feeder's load: the sum of its DTs; its meter's "sanctioned" load is a nominal
    // figure used only by the name plate.
    feeder.meter = add_meter(MeterKind::kFeeder, meter::ConsumerCategory::kCommercial, 5'000'000,
                             feeder.name, "");
    t.feeders.push_back(std::move(feeder));
  }
  for (std::uint32_t d = 0; d < n_dts; ++d) {
    const std::uint32_t f = d / spec.dts_per_feeder;
    Dt dt;
    dt.feeder = f;
    dt.name = fmt::format("{}-T{:03d}", t.feeders[f].name, d % spec.dts_per_feeder + 1);
    // Consumers: sanctioned loads 1-5 kW single-phase, 5-15 kW three-phase, in 1 kW steps.
    struct Planned {
      bool three, commercial;
      std::uint32_t kw;
    };
    std::vector<Planned> planned;
    std::uint32_t connected_kw = 0;
    for (std::uint32_t c = 0; c < dt_sizes[d]; ++c) {
      const std::uint32_t no = consumer_no + c;
      Planned p{};
      p.three = unit(seed, kConsumerKind, no) < spec.three_phase_share;
      p.commercial = unit(seed, kConsumerCategory, no) < spec.commercial_share;
      const double s = unit(seed, kSanctioned, no);
      p.kw =
          p.three ? 5 + static_cast<std::uint32_t>(s * 11) : 1 + static_cast<std::uint32_t>(s * 5);
      connected_kw += p.kw;
      planned.push_back(p);
    }
    dt.rating_kva = dt_rating_kva(connected_kw, unit(seed, kDtRating, d));
    dt.meter = add_meter(MeterKind::kDt, meter::ConsumerCategory::kCommercial, dt.rating_kva * 1000,
                         t.feeders[f].name, dt.name);
    for (std::uint32_t c = 0; c < dt_sizes[d]; ++c, ++consumer_no) {
      const bool three = planned[c].three;
      const bool commercial = planned[c].commercial;
      const std::uint32_t kw = planned[c].kw;
      const std::uint32_t m = add_meter(
          three ? MeterKind::kThreePhase : MeterKind::kSinglePhase,
          commercial ? meter::ConsumerCategory::kCommercial : meter::ConsumerCategory::kDomestic,
          kw * 1000, t.feeders[f].name, dt.name);
      t.meters[m].consumer_id = fmt::format("C{:07d}", consumer_no + 1);
      dt.consumers.push_back(m);
    }
    t.feeders[f].dts.push_back(d);
    t.dts.push_back(std::move(dt));
  }
  // generate() builds a consistent network, so link() (which a fleet file goes through too)
  // cannot fail here; it derives each DT's rating from its meter's sanctioned load.
  return std::move(link(std::move(t.meters))).value();
}

Result<Topology> link(std::vector<MeterRecord> meters) {
  if (meters.size() > kMaxFleetMeters) {
    return Error(Errc::kLimitExceeded,
                 fmt::format("fleet has {} meters; at most {}", meters.size(), kMaxFleetMeters));
  }
  Topology t;
  t.meters = std::move(meters);
  std::map<std::string, std::uint32_t> feeders;
  std::map<std::string, std::uint32_t> dts;
  for (std::uint32_t i = 0; i < t.meters.size(); ++i) {
    const MeterRecord& r = t.meters[i];
    if (r.identity.kind != MeterKind::kFeeder) continue;
    if (r.feeder.empty()) {
      return Error(Errc::kInvalidArgument,
                   fmt::format("feeder meter {} names no feeder", r.identity.serial));
    }
    if (!feeders.emplace(r.feeder, static_cast<std::uint32_t>(t.feeders.size())).second) {
      return Error(Errc::kInvalidArgument, fmt::format("feeder {} has two meters", r.feeder));
    }
    t.feeders.push_back({r.feeder, i, {}});
  }
  for (std::uint32_t i = 0; i < t.meters.size(); ++i) {
    const MeterRecord& r = t.meters[i];
    if (r.identity.kind != MeterKind::kDt) continue;
    auto f = feeders.find(r.feeder);
    if (f == feeders.end()) {
      return Error(Errc::kInvalidArgument,
                   fmt::format("DT meter {} is on feeder '{}', which has no "
                               "feeder meter",
                               r.identity.serial, r.feeder));
    }
    if (r.dt.empty() || !dts.emplace(r.dt, static_cast<std::uint32_t>(t.dts.size())).second) {
      return Error(Errc::kInvalidArgument,
                   fmt::format("DT meter {} names DT '{}', empty or already metered",
                               r.identity.serial, r.dt));
    }
    Dt dt;
    dt.name = r.dt;
    dt.feeder = f->second;
    dt.meter = i;
    dt.rating_kva = std::max<std::uint32_t>(1, r.identity.sanctioned_load_w / 1000);
    t.feeders[f->second].dts.push_back(static_cast<std::uint32_t>(t.dts.size()));
    t.dts.push_back(std::move(dt));
  }
  t.dt_of.assign(t.meters.size(), -1);
  t.feeder_of.assign(t.meters.size(), 0);
  for (std::uint32_t i = 0; i < t.meters.size(); ++i) {
    const MeterRecord& r = t.meters[i];
    auto f = feeders.find(r.feeder);
    if (f == feeders.end()) {
      return Error(Errc::kInvalidArgument,
                   fmt::format("meter {} is on feeder '{}', which has no feeder meter",
                               r.identity.serial, r.feeder));
    }
    t.feeder_of[i] = f->second;
    if (r.identity.kind == MeterKind::kFeeder) continue;
    auto d = dts.find(r.dt);
    if (d == dts.end()) {
      return Error(
          Errc::kInvalidArgument,
          fmt::format("meter {} is under DT '{}', which has no DT meter", r.identity.serial, r.dt));
    }
    if (t.dts[d->second].feeder != f->second) {
      return Error(Errc::kInvalidArgument,
                   fmt::format("meter {} names feeder {} but DT {} is on another feeder",
                               r.identity.serial, r.feeder, r.dt));
    }
    t.dt_of[i] = static_cast<std::int32_t>(d->second);
    if (r.identity.kind != MeterKind::kDt) t.dts[d->second].consumers.push_back(i);
  }
  t.index_serials();
  {  // Duplicate serials would make find_serial ambiguous.
    std::vector<std::string> serials;
    serials.reserve(t.meters.size());
    for (const auto& m : t.meters) serials.push_back(m.identity.serial);
    std::sort(serials.begin(), serials.end());
    auto dup = std::adjacent_find(serials.begin(), serials.end());
    if (dup != serials.end()) {
      return Error(Errc::kInvalidArgument, fmt::format("serial {} appears twice", *dup));
    }
  }
  return t;
}

}  // namespace vidyut::fleet
