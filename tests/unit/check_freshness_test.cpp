// fresh_search: hand-built histories of writes and one read each, linearizable or not.
#include <gtest/gtest.h>

#include "freshness.hpp"

namespace rihla::check {
namespace {

FlightWrite Seats(double invoke, double ack, std::int64_t delta, bool certain = true) {
  FlightWrite w;
  w.label = "seats " + std::to_string(delta);
  w.invoke = invoke;
  w.ack = ack;
  w.seats_delta = delta;
  w.certain = certain;
  return w;
}

FlightWrite Price(double invoke, double ack, std::int64_t price, bool certain = true) {
  FlightWrite w;
  w.label = "price";
  w.invoke = invoke;
  w.ack = ack;
  w.price_minor = price;
  w.certain = certain;
  return w;
}

FlightRead Listed(double invoke, double ack, std::int64_t seats, std::int64_t price = 10000) {
  FlightRead r;
  r.invoke = invoke;
  r.ack = ack;
  r.listed = true;
  r.seats = seats;
  r.price_minor = price;
  return r;
}

FlightHistory Flight(std::int64_t seats, std::vector<FlightWrite> writes, std::int64_t price = 10000) {
  return FlightHistory{seats, price, std::move(writes)};
}

TEST(FreshSearch, AcceptsTheInitialStateWithoutWrites) {
  EXPECT_TRUE(CheckRead(Flight(10, {}), Listed(1, 2, 10)).ok);
}

TEST(FreshSearch, RequiresEveryWriteAckedBeforeTheReadWasSent) {
  auto h = Flight(10, {Seats(1, 2, -2)});
  EXPECT_TRUE(CheckRead(h, Listed(3, 4, 8)).ok);
  auto stale = CheckRead(h, Listed(3, 4, 10));
  EXPECT_FALSE(stale.ok);
  EXPECT_EQ(stale.required, std::vector<std::size_t>{0});
  EXPECT_EQ(stale.allowed_seats, std::vector<std::int64_t>{8});
}

TEST(FreshSearch, AllowsAWriteInFlightEitherWay) {
  auto h = Flight(10, {Seats(1, 5, -2)});
  EXPECT_TRUE(CheckRead(h, Listed(2, 3, 10)).ok);
  EXPECT_TRUE(CheckRead(h, Listed(2, 3, 8)).ok);
  EXPECT_FALSE(CheckRead(h, Listed(2, 3, 9)).ok);
}

TEST(FreshSearch, IgnoresWritesSentAfterTheReadWasAnswered) {
  auto h = Flight(10, {Seats(5, 6, -2)});
  EXPECT_TRUE(CheckRead(h, Listed(1, 2, 10)).ok);
  EXPECT_FALSE(CheckRead(h, Listed(1, 2, 8)).ok);
}

TEST(FreshSearch, TreatsAnUnansweredWriteAsPossiblyApplied) {
  auto h = Flight(10, {Seats(1, kNever, -3, false)});
  EXPECT_TRUE(CheckRead(h, Listed(5, 6, 10)).ok);
  EXPECT_TRUE(CheckRead(h, Listed(5, 6, 7)).ok);
  EXPECT_FALSE(CheckRead(h, Listed(5, 6, 6)).ok);
}

TEST(FreshSearch, AcceptsAnySubsetOfConcurrentWrites) {
  auto h = Flight(10, {Seats(1, 9, -1), Seats(1, 9, -2), Seats(1, 9, 4)});
  for (std::int64_t seats : {10, 9, 8, 14, 7, 13, 12, 11}) EXPECT_TRUE(CheckRead(h, Listed(2, 3, seats)).ok) << seats;
  EXPECT_FALSE(CheckRead(h, Listed(2, 3, 15)).ok);
}

TEST(FreshSearch, KeepsTheIncludedWritesClosedUnderRealTimeOrder) {
  // A (-1) ended before B (-2) began, both overlap the read: showing B without A is impossible.
  auto h = Flight(10, {Seats(1, 3, -1), Seats(4, 9, -2)});
  EXPECT_TRUE(CheckRead(h, Listed(2, 8, 10)).ok);
  EXPECT_TRUE(CheckRead(h, Listed(2, 8, 9)).ok);
  EXPECT_TRUE(CheckRead(h, Listed(2, 8, 7)).ok);
  EXPECT_FALSE(CheckRead(h, Listed(2, 8, 8)).ok);
}

TEST(FreshSearch, ChecksSeatsAndPriceAgainstOneState) {
  // A price patch acked at 3 and a booking acked at 6; a read [4, 5] must show the new price.
  auto h = Flight(10, {Price(1, 3, 20000), Seats(2, 6, -1)});
  EXPECT_TRUE(CheckRead(h, Listed(4, 5, 9, 20000)).ok);
  EXPECT_TRUE(CheckRead(h, Listed(4, 5, 10, 20000)).ok);
  auto stale = CheckRead(h, Listed(4, 5, 10, 10000));
  EXPECT_FALSE(stale.ok);
  EXPECT_EQ(stale.allowed_prices, std::vector<std::int64_t>{20000});
}

TEST(FreshSearch, ShowsTheLastOfSequentialPricePatches) {
  auto h = Flight(10, {Price(1, 2, 20000), Price(3, 4, 30000)});
  EXPECT_TRUE(CheckRead(h, Listed(5, 6, 10, 30000)).ok);
  EXPECT_FALSE(CheckRead(h, Listed(5, 6, 10, 20000)).ok);
  EXPECT_TRUE(CheckRead(h, Listed(3.5, 6, 10, 20000)).ok);  // the second was still in flight
}

TEST(FreshSearch, AcceptsAnUnlistedFlightOnlyWhenTooFewSeatsCouldHaveBeenLeft) {
  FlightRead absent;
  absent.invoke = 5;
  absent.ack = 6;
  absent.passengers = 2;
  EXPECT_TRUE(CheckRead(Flight(3, {Seats(1, 2, -2)}), absent).ok);   // 1 seat left < 2
  EXPECT_FALSE(CheckRead(Flight(3, {Seats(1, 2, 2)}), absent).ok);   // 5 seats, must be listed
  EXPECT_TRUE(CheckRead(Flight(3, {Seats(4, 9, -2)}), absent).ok);   // booking in flight may show
}

TEST(FreshSearch, StaysSoundWithMoreOverlappingWritesThanItEnumerates) {
  std::vector<FlightWrite> writes;
  for (int i = 0; i < 20; ++i) writes.push_back(Seats(1, 9, -1));
  auto h = Flight(30, writes);
  EXPECT_TRUE(CheckRead(h, Listed(2, 3, 15)).ok);
  EXPECT_FALSE(CheckRead(h, Listed(2, 3, 31)).ok);
  EXPECT_FALSE(CheckRead(h, Listed(2, 3, 9)).ok);
}

}  // namespace
}  // namespace rihla::check
