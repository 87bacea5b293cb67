#include "sstable/compression.h"

#include <string>

#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace strata::sstable {
namespace {

// Text that compresses about 2:1 and more: repeated words.
std::string Compressible(size_t n) {
  std::string s;
  const char* words[] = {"alpha ", "beta ", "gamma ", "delta ", "epsilon "};
  for (size_t i = 0; s.size() < n; ++i) s += words[(i * 7 + i / 3) % 5];
  s.resize(n);
  return s;
}

std::string Random(size_t n) {
  std::string s(n, '\0');
  uint64_t x = 88172645463325252ULL;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return s;
}

TEST(CompressionTest, NamesRoundTrip) {
  for (Compression c :
       {Compression::kNone, Compression::kLz4, Compression::kZstd}) {
    EXPECT_EQ(ParseCompression(CompressionName(c)), c);
  }
  EXPECT_EQ(ParseCompression("snappy"), std::nullopt);
  EXPECT_EQ(CompressionName(static_cast<Compression>(9)), "unknown(9)");
}

TEST(CompressionTest, EachKindRoundTripsAndShrinksWhatCompresses) {
  const std::string raw = Compressible(4096);
  for (Compression c : {Compression::kLz4, Compression::kZstd}) {
    std::string stored;
    AppendStoredBlock(c, 3, raw, &stored);
    EXPECT_EQ(stored[0], static_cast<char>(c)) << CompressionName(c);
    EXPECT_LT(stored.size(), raw.size() / 2) << CompressionName(c);
    std::string buffer;
    absl::string_view out;
    ASSERT_OK(ExpandStoredBlock(stored, "block", 0, &buffer, &out));
    EXPECT_EQ(out, raw);
  }
}

TEST(CompressionTest, ABlockThatDoesNotShrinkByAnEighthIsStoredRaw) {
  const std::string raw = Random(4096);
  for (Compression c :
       {Compression::kNone, Compression::kLz4, Compression::kZstd}) {
    std::string stored;
    AppendStoredBlock(c, 3, raw, &stored);
    ASSERT_EQ(stored.size(), raw.size() + 1);
    EXPECT_EQ(stored[0], 0);
    std::string buffer;
    absl::string_view out;
    ASSERT_OK(ExpandStoredBlock(stored, "block", 0, &buffer, &out));
    EXPECT_EQ(out, raw);
    EXPECT_TRUE(buffer.empty());  // A view of the stored bytes: no copy.
  }
}

TEST(CompressionTest, GoldenStoredForms) {
  // Hand-made payloads in each library's documented format, so the reader
  // is pinned to the formats, not to one library version's output.
  // LZ4 block: one sequence of 5 literals (token 0x50) and no match.
  const std::string lz4("\x01\x05\x50hello", 8);
  // Zstandard frame: magic, a single-segment header with a 1-byte content
  // size (5), and one raw block (last, type 0, size 5: 0x29 0x00 0x00).
  const std::string zstd("\x02\x05\x28\xb5\x2f\xfd\x20\x05\x29\x00\x00hello",
                         16);
  for (const std::string& stored : {lz4, zstd}) {
    std::string buffer;
    absl::string_view out;
    ASSERT_OK(ExpandStoredBlock(stored, "block", 0, &buffer, &out));
    EXPECT_EQ(out, "hello");
  }
  // Type 0: a view of the stored bytes themselves.
  const std::string raw("\x00hello", 6);
  std::string buffer;
  absl::string_view out;
  ASSERT_OK(ExpandStoredBlock(raw, "b", 0, &buffer, &out));
  EXPECT_EQ(out, "hello");
  EXPECT_EQ(out.data(), raw.data() + 1);
}

TEST(CompressionTest, DamageIsDataLossNamingTheBlock) {
  std::string good;
  AppendStoredBlock(Compression::kLz4, 3, Compressible(4096), &good);
  struct Case {
    const char* name;
    std::string stored;
  } cases[] = {
      {"empty", ""},
      {"unknown type", std::string("\x07xyz", 4)},
      {"no size", std::string("\x01", 1)},
      {"size too large", std::string("\x02\xff\xff\xff\xff\x0f", 6)},
      {"size larger than the payload gives",
       std::string("\x01\x06\x50hello", 8)},
      {"size smaller than the payload gives",
       std::string("\x01\x04\x50hello", 8)},
      {"cut payload", good.substr(0, good.size() - 3)},
      {"zstd garbage", std::string("\x02\x05garbage", 9)},
  };
  for (const Case& c : cases) {
    std::string buffer;
    absl::string_view out;
    absl::Status s = ExpandStoredBlock(c.stored, "sst: t.sst data block 3", 100,
                                       &buffer, &out);
    EXPECT_TRUE(absl::IsDataLoss(s)) << c.name << ": " << s;
    EXPECT_NE(s.message().find("sst: t.sst data block 3"),
              absl::string_view::npos)
        << c.name << ": " << s;
  }
}

}  // namespace
}  // namespace strata::sstable
