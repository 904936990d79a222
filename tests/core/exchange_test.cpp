// The all-to-all exchange in rounds: every message arrives once, whole and aligned, in (round,
// source, sender's order), however small the rounds; a failure on one rank ends every rank.

#include <pando/core/error.hpp>
#include <pando/core/detail/exchange.hpp>
#include <pando/core/fault.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include <cstring>
#include <map>
#include <vector>

using pando::Buffer;
using pando::Outgoing;
using pando::test::comm;

namespace {

// Message m from rank `from` to rank `to`: two parts of sizes depending on all three (some
// empty), filled with a pattern that names them.
std::vector<Buffer> message(int from, int to, int m) {
  std::vector<Buffer> parts;
  for (int part = 0; part < 2; ++part) {
    const std::size_t n = static_cast<std::size_t>((from * 7 + to * 5 + m * 3 + part * 11) % 23) *
                          (part == 0 ? 1 : 97);
    Buffer b = Buffer::allocate(n);
    for (std::size_t i = 0; i < n; ++i)
      b.mutable_data()[i] = static_cast<std::byte>(from * 31 + to * 17 + m * 5 + part + i);
    parts.push_back(std::move(b));
  }
  return parts;
}

int messages_between(int from, int to) { return (from + 2 * to) % 4; }  // 0-3, some pairs none

void expect_exchange(std::size_t round_bytes) {
  const int me = comm().rank();
  std::vector<Outgoing> out;
  for (int m = 0; m < 3; ++m)  // interleaved destinations: order is per destination
    for (int to = 0; to < comm().size(); ++to)
      if (m < messages_between(me, to))
        out.push_back(
            {to, message(me, to, m)[1].size() + 64, [me, to, m] { return message(me, to, m); }});
  std::map<int, int> next;  // per source, the message expected next
  int last_source = -1;
  pando::exchange(comm(), out, round_bytes, [&](int from, std::vector<Buffer> parts) {
    if (round_bytes >= (std::size_t{1} << 20)) {  // one round: sources come in rank order
      EXPECT_GE(from, last_source);
      last_source = from;
    }
    const int m = next[from]++;
    const auto want = message(from, me, m);
    ASSERT_EQ(parts.size(), want.size());
    for (std::size_t p = 0; p < parts.size(); ++p) {
      ASSERT_EQ(parts[p].size(), want[p].size()) << "message " << m << " from " << from;
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(parts[p].data()) % Buffer::alignment, 0u);
      if (!want[p].empty()) {
        EXPECT_EQ(std::memcmp(parts[p].data(), want[p].data(), want[p].size()), 0);
      }
    }
  });
  for (int from = 0; from < comm().size(); ++from)
    EXPECT_EQ(next[from], messages_between(from, me))
        << "from " << from << ", rounds of " << round_bytes;
}

TEST(Exchange, EveryMessageArrivesOnceInOrder) {
  expect_exchange(std::size_t{1} << 20);  // one round
  expect_exchange(256);                   // about a message per destination per round
  expect_exchange(1);                     // a round per message
}

TEST(Exchange, NothingToSend) {
  pando::exchange(comm(), {}, 1024, [](int, std::vector<Buffer>) { ADD_FAILURE(); });
}

TEST(Exchange, AFailureOnOneRankIsEveryRanksError) {
  const int last = comm().size() - 1;
  std::vector<Outgoing> out;
  for (int to = 0; to < comm().size(); ++to)
    out.push_back({to, 8, [me = comm().rank(), last, to] {
                     if (me == last && to == last) throw pando::ValueError("cannot make it");
                     return std::vector<Buffer>{Buffer::zeros(8)};
                   }});
  try {
    pando::exchange(comm(), out, 1, [](int, std::vector<Buffer>) {});
    ADD_FAILURE() << "no error";
  } catch (const pando::ValueError& e) {
    EXPECT_STREQ(e.what(), "cannot make it");
  }
  out.clear();
  pando::fault::arm("exchange:" + std::to_string(last) + ":1");
  for (int to = 0; to < comm().size(); ++to)
    out.push_back({to, 8, [] { return std::vector<Buffer>{Buffer::zeros(8)}; }});
  EXPECT_THROW(pando::exchange(comm(), out, 1024, [](int, std::vector<Buffer>) {}), pando::Error);
  pando::fault::disarm();
  expect_exchange(512);  // and the next exchange works
}

TEST(Exchange, AMessageForNoRankIsAUsageError) {
  std::vector<Outgoing> out{{comm().size(), 8, [] { return std::vector<Buffer>{}; }}};
  EXPECT_THROW(pando::exchange(comm(), out, 1024, [](int, std::vector<Buffer>) {}),
               pando::UsageError);
}

}  // namespace
