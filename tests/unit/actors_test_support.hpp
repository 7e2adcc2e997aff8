// Fakes shared by the actor tests: a connection link that records what a
// session sends, and typed stand-ins for the storage and query actors.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/connection_link.hpp"

namespace cws::testing {

class recording_link final : public actors::connection_link {
 public:
  void send_text(std::string frame) override {
    std::lock_guard lock{mutex_};
    frames_.push_back(std::move(frame));
    times_.resize(frames_.size(), std::chrono::steady_clock::now());
    changed_.notify_all();
  }
  void send_update(std::string frame) override {
    std::lock_guard lock{mutex_};
    ++updates_;
    frames_.push_back(std::move(frame));
    times_.resize(frames_.size(), std::chrono::steady_clock::now());
    changed_.notify_all();
  }
  std::size_t update_count() {
    std::lock_guard lock{mutex_};
    return updates_;
  }
  void close(std::uint16_t code, std::string) override {
    std::lock_guard lock{mutex_};
    close_code_ = code;
    changed_.notify_all();
  }
  // The n-th frame (0-based) as JSON, waiting up to `timeout` for it.
  nlohmann::json frame(std::size_t index, std::chrono::milliseconds timeout = std::chrono::seconds{5}) {
    std::unique_lock lock{mutex_};
    if (!changed_.wait_for(lock, timeout, [&] { return frames_.size() > index; }))
      return nlohmann::json{{"missing_frame", index}};
    return nlohmann::json::parse(frames_[index]);
  }
  // When the n-th frame was sent (it must exist).
  std::chrono::steady_clock::time_point frame_time(std::size_t index) {
    std::lock_guard lock{mutex_};
    return times_.at(index);
  }
  std::size_t frame_count() {
    std::lock_guard lock{mutex_};
    return frames_.size();
  }
  int close_code(std::chrono::milliseconds timeout = std::chrono::seconds{5}) {
    std::unique_lock lock{mutex_};
    changed_.wait_for(lock, timeout, [&] { return close_code_ != 0; });
    return close_code_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> frames_;
  std::vector<std::chrono::steady_clock::time_point> times_;
  int close_code_ = 0;
  std::size_t updates_ = 0;
};

}  // namespace cws::testing
