#include <gtest/gtest.h>

#include <pugixml.hpp>
#include <string>

#include "cim/end_device_controls.h"
#include "cim/end_device_events.h"
#include "cim/message.h"
#include "cim/meter_readings.h"

namespace vidyut::cim {
namespace {

UtcTime at(const char* iso) { return *parse_iso8601(iso); }

Header response_header() {
  Header h;
  h.verb = "reply";
  h.noun = "MeterReadings";
  h.timestamp = at("2026-12-07T10:00:00Z");
  h.source = "Vidyut";
  h.message_id = "m-1";
  h.correlation_id = "req-9";
  return h;
}

// The whole text parses as XML; returns the document's root.
pugi::xml_node parse(pugi::xml_document& doc, const std::string& text) {
  auto r = doc.load_string(text.c_str());
  EXPECT_TRUE(r) << r.description() << "\n" << text;
  return doc.document_element();
}

TEST(CimMeterReadings, KwhIsWrittenFromIntegerWh) {
  EXPECT_EQ(kwh_text(0), "0.000");
  EXPECT_EQ(kwh_text(1234), "1.234");
  EXPECT_EQ(kwh_text(5), "0.005");
  EXPECT_EQ(kwh_text(-5), "-0.005");
  EXPECT_EQ(kwh_text(-12'000), "-12.000");
  EXPECT_EQ(kwh_text(INT64_MIN), "-9223372036854775.808");
}

TEST(CimMeterReadings, AMeterInTheEnvelopeIsWellFormedWithItsValuesAndQualities) {
  MeterReadingBlock m;
  m.meter = "00012345";
  m.usage_point = "C<&>1";  // escaped, not markup
  m.from = at("2026-12-06T18:30:00Z");
  m.to = at("2026-12-06T19:00:00Z");
  m.import = {{at("2026-12-06T18:45:00Z"), 120, false}, {at("2026-12-06T19:00:00Z"), 1340, true}};
  m.exported = {{at("2026-12-06T18:45:00Z"), 7, false}};
  Reply ok;
  const std::string text = envelope_open(response_header(), &ok) + kMeterReadingsOpen +
                           meter_reading(m) + kMeterReadingsClose + envelope_close();
  pugi::xml_document doc;
  pugi::xml_node root = parse(doc, text);
  EXPECT_STREQ(root.name(), "ResponseMessage");
  EXPECT_STREQ(root.attribute("xmlns").value(), kMessageNamespace);
  EXPECT_STREQ(root.child("Header").child_value("Noun"), "MeterReadings");
  EXPECT_STREQ(root.child("Header").child_value("CorrelationID"), "req-9");
  EXPECT_STREQ(root.child("Header").child_value("Timestamp"), "2026-12-07T10:00:00Z");
  EXPECT_STREQ(root.child("Reply").child_value("Result"), "OK");
  pugi::xml_node mr = root.child("Payload").child("MeterReadings").child("MeterReading");
  ASSERT_TRUE(mr);
  EXPECT_STREQ(mr.child("Meter").child_value("mRID"), "00012345");
  EXPECT_STREQ(mr.child("UsagePoint").child_value("mRID"), "C<&>1");
  pugi::xml_node block = mr.child("IntervalBlocks");
  EXPECT_STREQ(block.child("ReadingType").attribute("ref").value(), kReadingType15MinImportKwh);
  pugi::xml_node first = block.child("IntervalReadings");
  EXPECT_STREQ(first.child_value("timeStamp"), "2026-12-06T18:45:00Z");
  EXPECT_STREQ(first.child_value("value"), "0.120");
  EXPECT_FALSE(first.child("ReadingQualities"));
  pugi::xml_node second = first.next_sibling("IntervalReadings");
  EXPECT_STREQ(second.child_value("value"), "1.340");
  EXPECT_STREQ(
      second.child("ReadingQualities").child("ReadingQualityType").attribute("ref").value(),
      kQualityEstimated);
  pugi::xml_node exported = block.next_sibling("IntervalBlocks");
  EXPECT_STREQ(exported.child("ReadingType").attribute("ref").value(), kReadingType15MinExportKwh);
  EXPECT_STREQ(mr.child("valuesInterval").child_value("start"), "2026-12-06T18:30:00Z");
}

TEST(CimEndDeviceEvents, AlertsMapToEventTypeCodes) {
  EXPECT_EQ(event_type_code("outage", "last-gasp", true), "3.26.38.85");
  EXPECT_EQ(event_type_code("restore", "first-breath", true), "3.26.38.49");
  EXPECT_EQ(event_type_code("tamper", "magnet", true), "3.12.66.242");
  EXPECT_EQ(event_type_code("tamper", "magnet", false), "3.12.66.243");
  EXPECT_EQ(event_type_code("tamper", "bypass", true), "3.12.43.257");
  EXPECT_EQ(event_type_code("supply", "dt-outage", false), "3.26.38.49");
  EXPECT_EQ(event_type_code("overload", "dt-overload", true), "3.15.261.139");
  EXPECT_EQ(event_type_code("clock", "drift", true), "3.36.114.35");
  EXPECT_EQ(event_type_code("something-new", "x", true), "3.0.0.0");
}

TEST(CimEndDeviceEvents, EventsAreWellFormedWithTheirMeterAndDetails) {
  EndDeviceEvent e;
  e.mrid = "alert-7";
  e.type_code = event_type_code("tamper", "magnet", true);
  e.created = at("2026-12-06T11:02:00Z");
  e.meter = "00000042";
  e.usage_point = "C0042";
  e.reason = "tamper magnet started";
  e.details = {{"detail", "ESW bit 1 (magnet) set \"x\" < y"}};
  Header h = response_header();
  h.noun = "EndDeviceEvents";
  Reply ok;
  pugi::xml_document doc;
  pugi::xml_node root =
      parse(doc, envelope_open(h, &ok) + end_device_events({e}) + envelope_close());
  pugi::xml_node ev = root.child("Payload").child("EndDeviceEvents").child("EndDeviceEvent");
  ASSERT_TRUE(ev);
  EXPECT_STREQ(ev.child_value("mRID"), "alert-7");
  EXPECT_STREQ(ev.child("EndDeviceEventType").attribute("ref").value(), "3.12.66.242");
  EXPECT_STREQ(ev.child("Assets").child_value("mRID"), "00000042");
  EXPECT_STREQ(ev.child("EndDeviceEventDetails").child_value("value"),
               "ESW bit 1 (magnet) set \"x\" < y");
}

std::string request(const std::string& verb, const std::string& controls) {
  return "<?xml version=\"1.0\"?>\n"
         "<m:RequestMessage xmlns:m=\"http://iec.ch/TC57/2011/schema/message\">"
         "<m:Header><m:Verb>" +
         verb +
         "</m:Verb><m:Noun>EndDeviceControls</m:Noun>"
         "<m:Timestamp>2026-12-07T09:00:00Z</m:Timestamp><m:Source>CIS</m:Source>"
         "<m:MessageID>req-1</m:MessageID></m:Header>"
         "<m:Payload><edc:EndDeviceControls "
         "xmlns:edc=\"http://iec.ch/TC57/2011/EndDeviceControls#\">" +
         controls + "</edc:EndDeviceControls></m:Payload></m:RequestMessage>";
}

std::string control(const std::string& code, const std::string& devices) {
  return "<edc:EndDeviceControl><edc:reason>non-payment</edc:reason>"
         "<edc:issuerTrackingID>T-9</edc:issuerTrackingID>"
         "<edc:EndDeviceControlType ref=\"" +
         code + "\"/>" + devices + "</edc:EndDeviceControl>";
}

TEST(CimEndDeviceControls, ARequestIsReadWhateverItsPrefixes) {
  auto r = parse_end_device_controls(request(
      "create", control(kOpenSwitch,
                        "<edc:EndDevices><edc:mRID> 00000001 </edc:mRID></edc:EndDevices>"
                        "<edc:EndDevices><edc:Names><edc:name>00000002</edc:name></edc:Names>"
                        "</edc:EndDevices>") +
                    control(kCloseSwitch,
                            "<edc:EndDevices><edc:mRID>00000003</edc:mRID>"
                            "</edc:EndDevices>") +
                    control("3.15.0.1",
                            "<edc:EndDevices><edc:mRID>00000004</edc:mRID>"
                            "</edc:EndDevices>")));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->header.message_id, "req-1");
  EXPECT_EQ(r->header.source, "CIS");
  ASSERT_EQ(r->controls.size(), 3u);
  EXPECT_EQ(r->controls[0].action, SwitchAction::kOpen);
  EXPECT_EQ(r->controls[0].meters, (std::vector<std::string>{"00000001", "00000002"}));
  EXPECT_EQ(r->controls[0].reason, "non-payment");
  EXPECT_EQ(r->controls[0].issuer_tracking_id, "T-9");
  EXPECT_EQ(r->controls[1].action, SwitchAction::kClose);
  EXPECT_FALSE(r->controls[2].action.has_value());
  EXPECT_EQ(r->controls[2].type_code, "3.15.0.1");
}

TEST(CimEndDeviceControls, BadRequestsAreRefusedWithTheirReason) {
  const std::string one = "<edc:EndDevices><edc:mRID>00000001</edc:mRID></edc:EndDevices>";
  EXPECT_EQ(parse_end_device_controls("not xml").error().code, Errc::kMalformed);
  EXPECT_EQ(parse_end_device_controls("<a><b></a>").error().code, Errc::kMalformed);
  EXPECT_EQ(parse_end_device_controls(request("get", control(kOpenSwitch, one))).error().code,
            Errc::kUnsupported);
  EXPECT_EQ(parse_end_device_controls(request("create", "")).error().code, Errc::kMalformed);
  EXPECT_EQ(parse_end_device_controls(request("create", control(kOpenSwitch, ""))).error().code,
            Errc::kMalformed);
  EXPECT_EQ(parse_end_device_controls(request("create", control("", one))).error().code,
            Errc::kMalformed);
  // A control character in a field.
  EXPECT_EQ(parse_end_device_controls(request("create", control(kOpenSwitch,
                                                                "<edc:EndDevices><edc:mRID>0&#1;1"
                                                                "</edc:mRID></edc:EndDevices>")))
                .error()
                .code,
            Errc::kMalformed);
  // Limits: a long field, too many meters, too many bytes.
  EXPECT_EQ(parse_end_device_controls(
                request("create",
                        control(kOpenSwitch, "<edc:EndDevices><edc:mRID>" + std::string(300, '1') +
                                                 "</edc:mRID></edc:EndDevices>")))
                .error()
                .code,
            Errc::kLimitExceeded);
  std::string many;
  for (std::size_t i = 0; i <= kMaxControlledMeters; ++i) many += one;
  EXPECT_EQ(parse_end_device_controls(request("create", control(kOpenSwitch, many))).error().code,
            Errc::kLimitExceeded);
  EXPECT_EQ(parse_end_device_controls(std::string(kMaxMessageBytes + 1, ' ')).error().code,
            Errc::kLimitExceeded);
}

TEST(CimEndDeviceControls, AnEntityOfTheSendersOwnIsNeverExpanded) {
  // A DTD with entities (the "billion laughs" shape): the parser does not process DTDs, so a
  // reference to the sender's own entity stays the text it was and nothing grows.
  const std::string doc =
      "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY a \"00000001\"><!ENTITY b \"&a;&a;&a;\">]>" +
      request("create", control(kOpenSwitch,
                                "<edc:EndDevices><edc:mRID>&b;</edc:mRID>"
                                "</edc:EndDevices>"))
          .substr(std::string("<?xml version=\"1.0\"?>\n").size());
  auto r = parse_end_device_controls(doc);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->controls.size(), 1u);
  EXPECT_EQ(r->controls[0].meters[0], "&b;") << "the reference stays as it was written";
}

TEST(CimEndDeviceControls, TheReplyNamesEachMetersCommand) {
  ControlReply c;
  c.type_code = kOpenSwitch;
  c.issuer_tracking_id = "T-9";
  c.outcomes = {{"00000001", "41", ""}, {"00000002", "", "relay stays open, held by billing"}};
  Header req;
  req.verb = "create";
  req.noun = "EndDeviceControls";
  req.message_id = "req-1";
  Header h = reply_header(req, at("2026-12-07T09:00:01Z"), "Vidyut", "m-2");
  EXPECT_EQ(h.correlation_id, "req-1");
  Reply partial{ReplyResult::kPartial, {{"2.4", "no meter 00000009", "00000009"}}};
  pugi::xml_document doc;
  pugi::xml_node root =
      parse(doc, envelope_open(h, &partial) + end_device_controls_reply({c}) + envelope_close());
  EXPECT_STREQ(root.child("Header").child_value("Verb"), "reply");
  EXPECT_STREQ(root.child("Reply").child_value("Result"), "PARTIAL");
  EXPECT_STREQ(root.child("Reply").child("Error").child_value("code"), "2.4");
  EXPECT_STREQ(root.child("Reply").child("Error").child_value("ID"), "00000009");
  pugi::xml_node first = root.child("Payload").child("EndDeviceControls").child("EndDeviceControl");
  EXPECT_STREQ(first.child_value("mRID"), "41");
  EXPECT_STREQ(first.child("EndDevices").child_value("mRID"), "00000001");
  EXPECT_STREQ(first.next_sibling("EndDeviceControl").child_value("reason"),
               "relay stays open, held by billing");
}

}  // namespace
}  // namespace vidyut::cim
