// Topology: a utility's network as the fleet simulator builds it - feeders, distribution
// transformers (DTs) and the consumers each DT serves - with one meter at every feeder head,
// every DT and every consumer, and each meter's identity and secrets.
//
// generate() is deterministic: the same FleetSpec gives the same topology, serials, keys and
// seeds on every machine, so a test, a benchmark and a utility's evaluation all talk about the
// same fleet. The fleet file (fleet_file.h, docs/fleet-file.md) carries a topology to the head
// end; the same file format describes a real fleet.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "meter/load_model.h"

namespace vidyut::fleet {

// Most meters one simulator process hosts: bounds memory (about 2 KiB per meter, see
// bench/RESULTS.md) and the size of a fleet file a head end accepts.
inline constexpr std::uint32_t kMaxFleetMeters = 2'000'000;
// Mobile network operators a generated fleet's SIMs are spread over (dual-SIM meters hold two
// different ones).
inline constexpr std::array<const char*, 4> kOperators = {"JIO", "AIRTEL", "VI", "BSNL"};

struct FleetSpec {
  std::uint64_t seed = 1;
  std::uint32_t consumers = 1000;
  // Average consumers per DT; each DT gets between 60% and 140% of it.
  std::uint32_t consumers_per_dt = 50;
  std::uint32_t dts_per_feeder = 20;
  double three_phase_share = 0.08;   // of consumers (shops, larger homes, small industry)
  double commercial_share = 0.12;    // of consumers
  std::string manufacturer = "VDY";  // 3-letter manufacturer code (system title prefix)
  // Share of consumer meters on a static-IP APN that accept inbound sessions (all DT and feeder
  // meters do). Their address is 127.x.y.z so a simulator can host them all on one machine.
  double static_ip_share = 0.0;
};

// Secrets of one meter (the fleet file carries them; docs/fleet-file.md says how to protect it).
struct MeterSecrets {
  std::string lls_password;           // SAP 32, 16 characters
  std::array<std::uint8_t, 16> ek{};  // global unicast encryption key, SAP 48 and push
  std::array<std::uint8_t, 16> ak{};  // authentication key
};

struct MeterRecord {
  meter::MeterIdentity identity;  // kind, serial, system title, category, sanctioned load, seed
  MeterSecrets secrets;
  std::string feeder;       // feeder name, e.g. "F0003"
  std::string dt;           // DT name, e.g. "F0003-T012"; empty for a feeder meter
  std::string consumer_id;  // consumer account, e.g. "C0001234"; empty for DT/feeder meters
  std::array<std::string, 2> sim_operator;  // SIM 1 and SIM 2 operators (SIM 2 may be empty)
  std::string static_ip;                    // inbound address, empty when the meter only dials out
};

struct Dt {
  std::string name;
  std::uint32_t feeder = 0;              // index into Topology::feeders
  std::uint32_t meter = 0;               // index into Topology::meters
  std::uint32_t rating_kva = 100;        // nameplate
  std::vector<std::uint32_t> consumers;  // indices into Topology::meters
};

struct Feeder {
  std::string name;
  std::uint32_t meter = 0;         // index into Topology::meters
  std::vector<std::uint32_t> dts;  // indices into Topology::dts
};

struct Topology {
  std::vector<MeterRecord> meters;  // feeders' meters, then each DT's meter and its consumers
  std::vector<Feeder> feeders;
  std::vector<Dt> dts;
  // For each meter: the DT it is under (consumers), is (DT meters), or -1 (feeder meters); and
  // its feeder.
  std::vector<std::int32_t> dt_of;
  std::vector<std::uint32_t> feeder_of;

  // Index of the meter with this serial, or -1. O(log n) after index_serials().
  std::int64_t find_serial(const std::string& serial) const;
  void index_serials();

 private:
  std::vector<std::pair<std::string, std::uint32_t>> by_serial_;
};

// Builds the network. REQUIRES: spec.consumers <= kMaxFleetMeters (larger values are clamped).
Topology generate(const FleetSpec& spec);

// Rebuilds feeders, DTs, dt_of and feeder_of from the meters' feeder/dt names (what a fleet file
// holds). kInvalidArgument when a consumer names a DT without a DT meter, or the like.
Result<Topology> link(std::vector<MeterRecord> meters);

}  // namespace vidyut::fleet
