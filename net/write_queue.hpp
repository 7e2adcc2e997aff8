// The outgoing frames of one WebSocket connection. Plain C++ (no Beast), so
// its rules are unit-tested on their own.
#pragma once

#include <cstddef>
#include <deque>
#include <string>

namespace cws::net {

// Invariants: `writing()` is true exactly while front() is being written
// (between start_write and finish_write); bytes() is the sum of the sizes of
// the queued frames; at most one replaceable frame waits behind the one being
// written, so a client that stops reading holds at most one live update,
// however many are produced for it; frames leave in the order they were
// pushed, except that a replaced update leaves no trace.
class write_queue {
 public:
  // Queues `frame`. A replaceable frame (a live update) drops a replaceable
  // one that is still waiting and goes to the back: the newer list wins, and
  // never overtakes an answer queued before it (the client would otherwise
  // see that older answer last).
  void push(std::string frame, bool replaceable) {
    if (replaceable) {
      for (auto waiting = frames_.begin() + (writing_ ? 1 : 0); waiting != frames_.end(); ++waiting) {
        if (!waiting->replaceable) continue;
        bytes_ -= waiting->text.size();
        frames_.erase(waiting);
        break;  // the invariant allows only one
      }
    }
    bytes_ += frame.size();
    frames_.push_back({std::move(frame), replaceable});
  }

  bool empty() const { return frames_.empty(); }
  std::size_t size() const { return frames_.size(); }
  std::size_t bytes() const { return bytes_; }
  bool writing() const { return writing_; }

  // The frame to write next; it stays in place (and unreplaced) until
  // finish_write.
  const std::string& start_write() {
    writing_ = true;
    return frames_.front().text;
  }
  void finish_write() {
    writing_ = false;
    bytes_ -= frames_.front().text.size();
    frames_.pop_front();
  }
  void clear() {
    frames_.clear();
    bytes_ = 0;
    writing_ = false;
  }

 private:
  struct queued_frame {
    std::string text;
    bool replaceable = false;
  };
  std::deque<queued_frame> frames_;
  std::size_t bytes_ = 0;
  bool writing_ = false;
};

}  // namespace cws::net
