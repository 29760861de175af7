// Vocabulary shared by the client and server sides of a DLMS association (IS 15959 / Green Book).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dlms/axdr/obis.h"

namespace vidyut::dlms {

// How the client proves who it is when the association opens.
enum class Authentication : std::uint8_t {
  kNone,     // lowest level security: public client (SAP 16)
  kLow,      // LLS, mechanism 2.16.756.5.8.2.1: a password in the AARQ (meter reader, SAP 32)
  kHlsGmac,  // HLS mechanism 5, 2.16.756.5.8.2.5: four-pass GMAC challenge (SAP 48 and up)
};

std::string_view to_string(Authentication auth);
// "none" | "low" | "lls" | "hls-gmac" | "hls". Returns false on anything else.
bool parse_authentication(std::string_view text, Authentication& out);

// Well-known client SAPs of IS 15959 (wrapper source port).
inline constexpr std::uint16_t kPublicClientSap = 16;
inline constexpr std::uint16_t kMeterReaderSap = 32;
inline constexpr std::uint16_t kUtilitySettingsSap = 48;
inline constexpr std::uint16_t kPushSap = 64;
inline constexpr std::uint16_t kFirmwareUpgradeSap = 80;
// The management logical device every meter has.
inline constexpr std::uint16_t kManagementLogicalDeviceSap = 1;

// "Current association" object: Association LN (class 15) as seen by whoever is calling. Its
// method 1 (reply_to_HLS_authentication) carries pass 3/4 of HLS.
inline constexpr std::uint16_t kAssociationLnClassId = 15;
inline constexpr Obis kCurrentAssociation{0, 0, 40, 0, 0, 255};
inline constexpr std::int8_t kReplyToHlsAuthenticationMethod = 1;

// Negotiated PDU size bounds.
// Smallest max-receive-pdu-size we accept from a peer: below this a GET block cannot carry its
// own header plus the ciphering overhead, and the block count of a profile read would explode.
inline constexpr std::uint16_t kMinPduSize = 64;
// Our default max-receive-pdu-size, the value IS 15959 meters commonly negotiate.
inline constexpr std::uint16_t kDefaultMaxPduSize = 0x0400;

// Bytes a ciphered GET-Response-With-Datablock adds around its raw data: tag, length (up to 3),
// SC, IC (4) and tag (12) for ciphering, and the block header (C4 02 iid last block# choice
// len(3)).
inline constexpr std::size_t kBlockOverhead = 40;

}  // namespace vidyut::dlms
