#include "simulator/push_sink.h"

#include <atomic>
#include <map>

#include "core/log.h"
#include "dlms/apdu/wrapper.h"
#include "dlms/session/client.h"

namespace vidyut::simulator {

class PushSink::Impl {
 public:
  Impl(const fleet::Topology* fleet, net::TcpServerOptions options, Callback cb)
      : fleet_(fleet), callback_(std::move(cb)) {
    if (fleet_) {
      for (std::uint32_t i = 0; i < fleet_->meters.size(); ++i) {
        by_title_.emplace(fleet_->meters[i].identity.system_title, i);
      }
    }
    server_ = std::make_unique<net::DlmsTcpServer>(
        std::move(options), [this](const net::PeerInfo&) -> std::unique_ptr<net::StreamHandler> {
          ++connections_;
          return std::make_unique<Handler>(*this);
        });
  }

  class Handler final : public net::StreamHandler {
   public:
    explicit Handler(Impl& sink) : sink_(sink) {}
    Result<Bytes> on_bytes(ByteView data) override {
      sink_.bytes_ += data.size();
      decoder_.feed(data);
      while (true) {
        auto f = decoder_.next();
        if (!f.ok()) return f.error();
        if (!*f) break;
        ++sink_.frames_;
        sink_.on_frame((*f)->apdu);
      }
      return Bytes{};
    }
    bool wants_close() const override { return false; }

   private:
    Impl& sink_;
    dlms::WrapperDecoder decoder_;
  };

  void on_frame(const Bytes& apdu) {
    if (!fleet_) return;
    // general-glo-ciphering: tag, title length (8), title.
    std::uint32_t meter = 0;
    if (apdu.size() >= 10 && apdu[0] == 0xDB && apdu[1] == 8) {
      dlms::security::SystemTitle title{};
      std::copy(apdu.begin() + 2, apdu.begin() + 10, title.begin());
      auto it = by_title_.find(title);
      if (it == by_title_.end()) {
        ++rejected_;
        return;
      }
      meter = it->second;
    } else {
      ++rejected_;  // plain pushes carry no title to tell the meter by
      return;
    }
    dlms::ClientSettings cs;
    cs.keys.block_key = fleet_->meters[meter].secrets.ek;
    cs.keys.auth_key = fleet_->meters[meter].secrets.ak;
    dlms::ClientCodec codec(cs);
    auto n = codec.decode_notification(apdu);
    if (!n.ok()) {
      ++rejected_;
      logger("sim.sink")
          ->info("push from meter {} rejected: {}", fleet_->meters[meter].identity.serial,
                 n.error().describe());
      return;
    }
    ++notifications_;
    if (callback_) callback_(meter, *n);
  }

  const fleet::Topology* fleet_;
  Callback callback_;
  std::map<dlms::security::SystemTitle, std::uint32_t> by_title_;
  std::unique_ptr<net::DlmsTcpServer> server_;
  std::atomic<std::uint64_t> connections_{0}, frames_{0}, bytes_{0}, notifications_{0},
      rejected_{0};
};

PushSink::PushSink(const fleet::Topology* fleet, net::TcpServerOptions options, Callback callback)
    : impl_(std::make_unique<Impl>(fleet, std::move(options), std::move(callback))) {}
PushSink::~PushSink() { stop(); }
Status PushSink::start() { return impl_->server_->start(); }
void PushSink::stop() { impl_->server_->stop(); }
std::uint16_t PushSink::port() const { return impl_->server_->port(); }

PushSinkStats PushSink::stats() const {
  PushSinkStats s;
  const auto ts = impl_->server_->stats();
  s.connections = impl_->connections_;
  s.active = ts.active;
  s.frames = impl_->frames_;
  s.bytes = impl_->bytes_;
  s.notifications = impl_->notifications_;
  s.rejected = impl_->rejected_;
  return s;
}

}  // namespace vidyut::simulator
