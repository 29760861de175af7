// Interface class 40 (Push setup), version 0: what a meter pushes (IS 15959 alert push
// 0.4.25.9.0.255 and instant push 0.0.25.9.0.255), where, and when.
//
// Attributes: 2 push_object_list array of capture_object_definition, 3
// send_destination_and_method structure { transport_service enum, destination octet-string,
// message enum }, 4 communication_window array of structure { start octet-string date-time,
// end octet-string date-time }, 5 randomisation_start_interval long-unsigned (s), 6
// number_of_retries unsigned, 7 repetition_delay long-unsigned (s).
// Method 1 push(integer 0) calls the PushHandler, which builds and sends the Data-Notification
// (the meter/simulator's business); no handler: kTemporaryFailure.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "dlms/cosem/object.h"

namespace vidyut::dlms::cosem {

// Most entries of push_object_list / communication_window accepted by SET. IS 15959 pushes
// carry four objects; 64 leaves room while bounding memory.
inline constexpr std::size_t kMaxPushObjects = 64;
inline constexpr std::size_t kMaxCommunicationWindows = 64;

struct SendDestination {
  std::uint8_t transport_service = 0;  // 0 TCP, 1 UDP, ... (Blue Book)
  Bytes destination;                   // e.g. "10.0.0.1:4059" as text bytes
  std::uint8_t message = 0;            // 0 A-XDR encoded xDLMS APDU
  bool operator==(const SendDestination&) const = default;
};

class PushSetup : public CosemObject {
 public:
  using PushHandler = std::function<ActionResult(PushSetup&, const AccessContext&)>;

  PushSetup(const Obis& ln, std::vector<CaptureObjectDefinition> objects);

  std::int8_t attribute_count() const override { return 7; }
  std::int8_t method_count() const override { return 1; }

  const std::vector<CaptureObjectDefinition>& push_object_list() const { return objects_; }
  const SendDestination& destination() const { return destination_; }
  void set_destination(SendDestination d) { destination_ = std::move(d); }
  std::uint16_t randomisation_start_interval() const { return randomisation_; }
  std::uint8_t number_of_retries() const { return retries_; }
  std::uint16_t repetition_delay() const { return repetition_delay_; }
  const std::vector<std::pair<CosemDateTime, CosemDateTime>>& windows() const { return windows_; }
  void set_handler(PushHandler h) { handler_ = std::move(h); }

 protected:
  GetDataResult get_attribute(std::int8_t attribute, const std::optional<SelectiveAccess>& access,
                              const AccessContext& ctx) override;
  DataAccessResult set_attribute(std::int8_t attribute, const Data& value,
                                 const AccessContext& ctx) override;
  ActionOutcome invoke_method(std::int8_t method, const std::optional<Data>& params,
                              const AccessContext& ctx) override;

 private:
  std::vector<CaptureObjectDefinition> objects_;
  SendDestination destination_;
  std::vector<std::pair<CosemDateTime, CosemDateTime>> windows_;
  std::uint16_t randomisation_ = 0;
  std::uint8_t retries_ = 0;
  std::uint16_t repetition_delay_ = 0;
  PushHandler handler_;
};

}  // namespace vidyut::dlms::cosem
