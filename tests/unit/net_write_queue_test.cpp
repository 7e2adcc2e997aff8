// The WebSocket write queue: order, byte accounting, and the rule that a
// newer live update replaces an unsent older one.
#include <gtest/gtest.h>

#include "net/write_queue.hpp"

namespace cws::net {
namespace {

TEST(write_queue_test, keeps_order_and_counts_bytes) {
  write_queue queue;
  queue.push("one", false);
  queue.push("three", false);
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue.bytes(), 8u);
  EXPECT_EQ(queue.start_write(), "one");
  EXPECT_TRUE(queue.writing());
  queue.finish_write();
  EXPECT_FALSE(queue.writing());
  EXPECT_EQ(queue.bytes(), 5u);
  EXPECT_EQ(queue.start_write(), "three");
  queue.finish_write();
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(write_queue_test, a_newer_update_drops_a_waiting_one_and_never_overtakes_an_answer) {
  write_queue queue;
  queue.push("answer", false);
  queue.push("update-1", true);
  queue.push("answer-to-a-new-query", false);
  queue.push("update-2-longer", true);
  ASSERT_EQ(queue.size(), 3u);
  EXPECT_EQ(queue.bytes(), std::string{"answer"}.size() + std::string{"answer-to-a-new-query"}.size() +
                               std::string{"update-2-longer"}.size());
  EXPECT_EQ(queue.start_write(), "answer");
  queue.finish_write();
  EXPECT_EQ(queue.start_write(), "answer-to-a-new-query") << "the older update is gone";
  queue.finish_write();
  EXPECT_EQ(queue.start_write(), "update-2-longer") << "the newest list comes last";
}

TEST(write_queue_test, the_update_being_written_is_never_replaced) {
  write_queue queue;
  queue.push("update-1", true);
  EXPECT_EQ(queue.start_write(), "update-1");
  queue.push("update-2", true);
  queue.push("update-3", true);
  EXPECT_EQ(queue.size(), 2u) << "one in flight, one waiting";
  queue.finish_write();
  EXPECT_EQ(queue.start_write(), "update-3");
}

TEST(write_queue_test, a_client_that_stops_reading_holds_one_update_however_many_come) {
  write_queue queue;
  queue.push(std::string(1000, 'a'), true);
  queue.start_write();  // stalled: never finishes
  for (int i = 0; i < 10'000; ++i) queue.push(std::string(1000, 'b'), true);
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue.bytes(), 2000u);
}

}  // namespace
}  // namespace cws::net
