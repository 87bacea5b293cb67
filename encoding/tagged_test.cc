#include "encoding/tagged.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/random.h"
#include "testing/status_matchers.h"

namespace strata {
namespace {

using ::strata::testing::StatusIs;
using ::testing::HasSubstr;

// A small evolving record, decoded the way every Strata record codec is.
struct Sample {
  uint64_t number = 0;
  std::string key;
  int64_t delta = 0;
  uint64_t checksum = 0;
  bool flag = false;
};

void EncodeSample(const Sample& s, std::string* out) {
  TaggedWriter w(out);
  w.Varint(1, s.number);
  w.Bytes(2, s.key);
  w.Signed(3, s.delta);
  w.Fixed64(4, s.checksum);
  w.Bool(5, s.flag);
}

absl::Status DecodeSample(absl::string_view bytes, Sample* s) {
  Decoder in(bytes, "sample");
  TaggedReader r(&in);
  TaggedField f;
  while (r.Next(&f)) {
    absl::Status st;
    switch (f.number) {
      case 1:
        st = r.Varint(f, &s->number);
        break;
      case 2:
        st = r.Bytes(f, &s->key);
        break;
      case 3:
        st = r.Signed(f, &s->delta);
        break;
      case 4:
        st = r.Fixed64(f, &s->checksum);
        break;
      case 5:
        st = r.Bool(f, &s->flag);
        break;
      default:
        st = r.Unknown(f);
    }
    if (!st.ok()) return st;
  }
  return r.status();
}

TEST(TaggedGoldenTest, PinsKeyLayout) {
  std::string out;
  TaggedWriter w(&out);
  w.Varint(1, 300);                  // key 1<<3|0 = 08
  w.Fixed64(2, 1);                   // key 2<<3|1 = 11
  w.Bytes(3, "ab");                  // key 3<<3|2 = 1a
  w.Varint(4, 7, IfUnknown::kSkip);  // key 4<<3|4|0 = 24
  w.Bool(16, true);                  // key 16<<3 = 128 -> 8001
  EXPECT_EQ(absl::BytesToHexString(out),
            "08ac02"
            "110100000000000000"
            "1a026162"
            "2407"
            "800101");
}

TEST(TaggedGoldenTest, PointerEncodersWriteWhatTheWriterWrites) {
  const uint64_t values[] = {0,     1,     127,        128,
                             16383, 16384, UINT32_MAX, UINT64_MAX};
  const uint32_t numbers[] = {1, 15, 16, 2047, 2048, UINT32_MAX};
  for (uint32_t number : numbers) {
    for (IfUnknown u : {IfUnknown::kRefuse, IfUnknown::kSkip}) {
      for (uint64_t v : values) {
        std::string want;
        TaggedWriter(&want).Varint(number, v, u);
        char buf[32];
        const char* end = EncodeTaggedVarint(buf, number, v, u);
        EXPECT_EQ(std::string(buf, end - buf), want) << number << " " << v;
        EXPECT_EQ(TaggedVarintSize(number, v, u), want.size());
      }
      for (const std::string& bytes :
           {std::string(), std::string("k"), std::string(300, 'x')}) {
        std::string want;
        TaggedWriter(&want).Bytes(number, bytes, u);
        std::string got(TaggedBytesSize(number, bytes.size(), u), '\0');
        const char* end = EncodeTaggedBytes(got.data(), number, bytes, u);
        EXPECT_EQ(end, got.data() + got.size());
        EXPECT_EQ(got, want) << number << " " << bytes.size();
      }
    }
  }
}

TEST(TaggedRoundTripTest, RandomRecords) {
  testing::Random rnd(17);
  for (int i = 0; i < 2000; ++i) {
    Sample in{rnd.Skewed64(), rnd.Bytes(rnd.Uniform(70)),
              static_cast<int64_t>(rnd.Skewed64()), rnd.Next64(), rnd.OneIn(2)};
    std::string bytes;
    EncodeSample(in, &bytes);
    Sample out;
    ASSERT_OK(DecodeSample(bytes, &out));
    EXPECT_EQ(out.number, in.number);
    EXPECT_EQ(out.key, in.key);
    EXPECT_EQ(out.delta, in.delta);
    EXPECT_EQ(out.checksum, in.checksum);
    EXPECT_EQ(out.flag, in.flag);
  }
}

TEST(TaggedEvolutionTest, SkippableUnknownFieldIsIgnored) {
  std::string bytes;
  EncodeSample({.number = 5, .key = "k"}, &bytes);
  TaggedWriter(&bytes).Bytes(99, "from the future", IfUnknown::kSkip);
  TaggedWriter(&bytes).Varint(98, 1, IfUnknown::kSkip);
  TaggedWriter(&bytes).Fixed64(97, 1, IfUnknown::kSkip);
  Sample out;
  ASSERT_OK(DecodeSample(bytes, &out));
  EXPECT_EQ(out.number, 5u);
}

TEST(TaggedEvolutionTest, UnskippableUnknownFieldSaysNewerFormat) {
  std::string bytes;
  EncodeSample({.number = 5}, &bytes);
  const size_t at = bytes.size();
  TaggedWriter(&bytes).Varint(99, 1);
  Sample out;
  EXPECT_THAT(DecodeSample(bytes, &out),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("field 99 at offset " + std::to_string(at) +
                                 " is unknown to this version and not marked "
                                 "skippable: the data was written by a newer "
                                 "format version")));
}

TEST(TaggedCorruptionTest, WrongWireTypeForKnownField) {
  std::string bytes;
  TaggedWriter(&bytes).Bytes(1, "not a varint");
  Sample out;
  EXPECT_THAT(DecodeSample(bytes, &out),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("wire type is bytes, expected varint")));
}

TEST(TaggedCorruptionTest, InvalidWireType) {
  std::string bytes;
  PutVarint64(&bytes, (1 << 3) | 3);
  Sample out;
  EXPECT_THAT(
      DecodeSample(bytes, &out),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("invalid wire type 3")));
}

TEST(TaggedCorruptionTest, FieldNumberZero) {
  std::string bytes;
  PutVarint64(&bytes, 0);
  PutVarint64(&bytes, 1);
  Sample out;
  EXPECT_THAT(DecodeSample(bytes, &out),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("invalid field number 0")));
}

TEST(TaggedCorruptionTest, BoolOutOfRange) {
  std::string bytes;
  TaggedWriter(&bytes).Varint(5, 2);
  Sample out;
  EXPECT_THAT(DecodeSample(bytes, &out),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("bool is 2")));
}

TEST(TaggedCorruptionTest, TruncatedValue) {
  std::string bytes;
  EncodeSample({.number = 1, .key = "abcdef"}, &bytes);
  for (size_t cut = 1; cut < bytes.size(); ++cut) {
    Sample out;
    const absl::Status s = DecodeSample(bytes.substr(0, cut), &out);
    // A cut on a field boundary decodes a shorter record; every other cut
    // is DataLoss, never a crash.
    if (!s.ok()) {
      EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    }
  }
  Sample out;
  EXPECT_THAT(DecodeSample(bytes.substr(0, 4), &out),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("field 2")));
}

TEST(TaggedPrefixTest, EveryCutKeepsTheWholeFieldsBeforeIt) {
  std::string bytes;
  TaggedWriter w(&bytes);
  w.Varint(1, 300);
  w.Fixed64(2, 0x0102030405060708);
  w.Bytes(3, std::string(200, 'b'));  // Two-byte length.
  w.Varint(4, 0);
  w.Bytes(5, "");
  // Where each field ends: 3, 12, 215, 217, 219.
  const std::vector<size_t> ends = {3, 12, 215, 217, 219};
  ASSERT_EQ(bytes.size(), ends.back());
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    size_t want = 0;
    for (size_t end : ends) {
      if (end <= cut) want = end;
    }
    uint64_t next = 99;
    EXPECT_EQ(TaggedPrefix(absl::string_view(bytes).substr(0, cut), &next),
              want)
        << "cut " << cut;
    // The cut field's size is known once its key (and length) are in.
    uint64_t want_next = 0;
    if (want == 3 && cut >= 4) want_next = 9;      // Key + 8 bytes.
    if (want == 12 && cut >= 15) want_next = 203;  // Key, 2-byte length.
    if (cut == bytes.size()) want_next = 0;
    EXPECT_EQ(next, want_next) << "cut " << cut;
  }
}

TEST(TaggedPrefixTest, MalformedInputIsLeftToTheReader) {
  uint64_t next = 0;
  // Wire type 3 after one whole field.
  std::string bytes;
  TaggedWriter(&bytes).Varint(1, 1);
  const size_t whole = bytes.size();
  bytes.push_back(static_cast<char>((2 << 3) | 3));
  bytes.append("xyz");
  EXPECT_EQ(TaggedPrefix(bytes, &next), bytes.size());
  // A key varint of ten bytes that still goes on.
  EXPECT_EQ(TaggedPrefix(std::string(10, '\xff') + "abc", &next), 13u);
  // Nine continuation bytes are not yet malformed: more may follow.
  EXPECT_EQ(
      TaggedPrefix(bytes.substr(0, whole) + std::string(9, '\xff'), &next),
      whole);
  // A length larger than any input: cut, its size reported as is.
  std::string huge;
  huge.push_back(static_cast<char>((3 << 3) | 2));
  huge.append("\xff\xff\xff\xff\x0f");  // 2^32 - 1.
  EXPECT_EQ(TaggedPrefix(huge, &next), 0u);
  EXPECT_EQ(next, 6 + uint64_t{0xffffffff});
}

}  // namespace
}  // namespace strata
