#include "engine/cli.h"

#include <algorithm>
#include <sstream>
#include <streambuf>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"

namespace strata::engine {
namespace {

using ::strata::testing::StatusIs;
using ::testing::HasSubstr;

EngineOptions Small() {
  EngineOptions o;
  o.memtable_bytes = 16 << 10;
  o.background_work = false;
  return o;
}

DemoOptions SmallDemo(uint64_t operations, uint64_t keys) {
  DemoOptions demo;
  demo.operations = operations;
  demo.keys = keys;
  demo.value_size = 20;
  return demo;
}

// What the demo printed to `err` before it started verifying.
std::string ProgressPart(const std::ostringstream& err) {
  const std::string all = err.str();
  return all.substr(0, all.find("verifying"));
}

TEST(CliTest, DemoForcesFlushesAndCompactionsAndVerifies) {
  testing::MemFileSystem fs;
  const DemoOptions demo = SmallDemo(20000, 3000);
  std::ostringstream out, err;
  ASSERT_OK(RunDemo(&fs, "/db", Small(), demo, out, err));
  EXPECT_THAT(out.str(), HasSubstr("operations: 20000"));
  EXPECT_THAT(out.str(), HasSubstr("verified"));
  // Not a terminal: whole lines, one per quarter, no carriage returns.
  const std::string progress = ProgressPart(err);
  EXPECT_THAT(progress, HasSubstr("(100%)\n"));
  EXPECT_EQ(progress.find('\r'), std::string::npos) << progress;
  EXPECT_EQ(std::count(progress.begin(), progress.end(), '\n'), 4) << progress;
  // A second run starts from what the first left, and still verifies.
  std::ostringstream out2;
  ASSERT_OK(RunDemo(&fs, "/db", Small(), demo, out2, err));
  EXPECT_THAT(out2.str(), ::testing::Not(HasSubstr("(0 keys already")));
}

TEST(CliTest, DemoProgressOnATerminalIsOneLineRewritten) {
  testing::MemFileSystem fs;
  DemoOptions demo = SmallDemo(5000, 1000);
  demo.progress_in_place = true;
  std::ostringstream out, err;
  ASSERT_OK(RunDemo(&fs, "/db", Small(), demo, out, err));
  const std::string progress = ProgressPart(err);
  EXPECT_THAT(progress, HasSubstr("\rwriting batches: 50/50 (100%)\n"));
  EXPECT_EQ(std::count(progress.begin(), progress.end(), '\n'), 1) << progress;
}

TEST(CliTest, SimpleCommands) {
  testing::MemFileSystem fs;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, "/db", Small()));
  std::ostringstream out;
  ASSERT_OK(RunSimpleCommand(engine.get(), "put", {"a", "1"}, {}, out));
  ASSERT_OK(RunSimpleCommand(engine.get(), "put", {"b", "2"}, {}, out));
  ASSERT_OK(RunSimpleCommand(engine.get(), "delete", {"a"}, {}, out));
  ASSERT_OK(RunSimpleCommand(engine.get(), "flush", {}, {}, out));
  EXPECT_THAT(out.str(), HasSubstr("flush: 1 memtables written to tables"));
  EXPECT_THAT(out.str(), HasSubstr("1 live tables"));
  out.str("");
  ASSERT_OK(RunSimpleCommand(engine.get(), "get", {"b"}, {}, out));
  EXPECT_EQ(out.str(), "2\n");
  out.str("");
  ASSERT_OK(RunSimpleCommand(engine.get(), "scan", {}, {}, out));
  EXPECT_EQ(out.str(), "b\t2\n");
  out.str("");
  ASSERT_OK(RunSimpleCommand(engine.get(), "check", {}, {}, out));
  EXPECT_THAT(out.str(), HasSubstr("ok: 1 tables"));
  out.str("");
  ASSERT_OK(RunSimpleCommand(engine.get(), "stats", {}, {}, out));
  EXPECT_THAT(out.str(), HasSubstr("flushes: 1\n"));
  EXPECT_THAT(RunSimpleCommand(engine.get(), "get", {"a"}, {}, out),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(RunSimpleCommand(engine.get(), "put", {"a"}, {}, out),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("usage: strata put KEY VALUE")));
  EXPECT_THAT(RunSimpleCommand(engine.get(), "frobnicate", {}, {}, out),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown command")));
}

TEST(CliTest, WorkloadReportsThroughput) {
  testing::MemFileSystem fs;
  EngineOptions o = Small();
  o.background_work = true;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, "/db", o));
  WorkloadOptions w;
  w.operations = 4000;
  w.threads = 4;
  w.keys = 500;
  std::ostringstream out, err;
  ASSERT_OK(RunWorkload(engine.get(), w, out, err));
  EXPECT_THAT(out.str(), HasSubstr("workload: 4000 ops"));
  w.read_percent = 101;
  EXPECT_THAT(RunWorkload(engine.get(), w, out, err),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace strata::engine

namespace strata::engine {
namespace {

TEST(CliTest, OnlyReadingCommandsOpenReadOnly) {
  for (const char* c : {"get", "scan", "stats", "check"}) {
    EXPECT_TRUE(IsReadOnlyCommand(c)) << c;
  }
  for (const char* c :
       {"put", "delete", "flush", "compact", "demo", "workload", "repair"}) {
    EXPECT_FALSE(IsReadOnlyCommand(c)) << c;
  }
}

TEST(CliTest, OpenWarningsSayWhatOpenFoundAndDid) {
  testing::MemFileSystem fs;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, "/db", Small()));
    ASSERT_OK(engine->Put("a", "1"));
  }
  ASSERT_OK(io::WriteFileSynced(&fs, "/db/notes.txt", "mine"));
  ASSERT_OK_AND_ASSIGN(std::string wal,
                       io::ReadFileToString(&fs, "/db/wal/000001.log"));
  ASSERT_OK(io::WriteFileSynced(&fs, "/db/wal/000001.log", wal + "torn"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, "/db", Small()));
  std::ostringstream err;
  PrintOpenWarnings(engine->open_report(), err);
  EXPECT_THAT(err.str(),
              HasSubstr("strata: warning: data WAL: torn tail cut: "
                        "/db/wal/000001.log: 4 bytes cut at offset"));
  EXPECT_THAT(err.str(), HasSubstr("strata: warning: /db/notes.txt was not "
                                   "written by Strata: left alone\n"));
  // A clean open says nothing.
  engine.reset();
  ASSERT_OK(fs.RemoveFile("/db/notes.txt"));
  ASSERT_OK_AND_ASSIGN(engine, Engine::Open(&fs, "/db", Small()));
  std::ostringstream quiet;
  PrintOpenWarnings(engine->open_report(), quiet);
  EXPECT_EQ(quiet.str(), "");
}

TEST(CliTest, RepairPrintsTextOrJson) {
  testing::MemFileSystem fs;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                         Engine::Open(&fs, "/db", Small()));
    ASSERT_OK(engine->Put("a", "1"));
  }
  std::ostringstream text, json;
  ASSERT_OK(RunRepair(&fs, "/db", {}, /*json=*/false, text));
  EXPECT_THAT(text.str(), HasSubstr("rebuilt /db/sst/"));
  EXPECT_THAT(text.str(), HasSubstr("new manifest: 1 tables, last lsn 1"));
  ASSERT_OK(RunRepair(&fs, "/db", {}, /*json=*/true, json));
  EXPECT_THAT(json.str(), HasSubstr("\"last_lsn\":1,"));
  EXPECT_EQ(json.str().front(), '{');
  EXPECT_THAT(RunRepair(&fs, "/none", {}, false, text),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(CliTest, CompactCheckAndRepairShowProgress) {
  testing::MemFileSystem fs;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, "/db", Small()));
  for (int t = 0; t < 8; ++t) {  // 8 tables of 20000 entries.
    WriteBatch batch;
    for (int i = 0; i < 20000; ++i) {
      batch.Put(absl::StrFormat("key%02d-%06d", t, i), "v");
    }
    ASSERT_OK(engine->Write(batch));
    ASSERT_OK(engine->Flush());
  }
  std::ostringstream out, progress;
  CommandOptions o;
  o.progress = &progress;
  ASSERT_OK(RunSimpleCommand(engine.get(), "check", {}, o, out));
  EXPECT_THAT(progress.str(), HasSubstr("check: tables verified: "));
  EXPECT_THAT(progress.str(), HasSubstr("(100%)\n"));
  progress.str("");
  ASSERT_OK(RunSimpleCommand(engine.get(), "compact", {}, o, out));
  EXPECT_THAT(progress.str(),
              HasSubstr("compact: entries merged: 160000/160000 (100%)\n"));
  EXPECT_THAT(progress.str(), HasSubstr("65536/160000"));  // Along the way.
  EXPECT_THAT(out.str(), HasSubstr("became 1 ("));
  ASSERT_OK(engine->Close());
  engine.reset();

  std::ostringstream report, repair_progress;
  ASSERT_OK(RunRepair(&fs, "/db", {}, /*json=*/false, report, &repair_progress,
                      /*progress_in_place=*/true));
  EXPECT_THAT(repair_progress.str(), HasSubstr("\rrepair: files in sst/"));
}

TEST(CliTest, HexRawAndStdinValues) {
  testing::MemFileSystem fs;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, "/db", Small()));
  std::ostringstream out;
  CommandOptions hex;
  hex.hex = true;
  ASSERT_OK(RunSimpleCommand(engine.get(), "put", {"00ff", "6869"}, hex, out));
  EXPECT_THAT(engine->Get(std::string("\x00\xff", 2)),
              testing::IsOkAndHolds("hi"));
  ASSERT_OK(RunSimpleCommand(engine.get(), "get", {"00ff"}, hex, out));
  EXPECT_EQ(out.str(), "6869\n");
  EXPECT_THAT(
      RunSimpleCommand(engine.get(), "get", {"0g"}, hex, out),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not hex")));
  std::istringstream in(std::string("line one\n\0binary", 16));
  CommandOptions stdin_value;
  stdin_value.in = &in;
  ASSERT_OK(
      RunSimpleCommand(engine.get(), "put", {"k", "-"}, stdin_value, out));
  out.str("");
  CommandOptions raw;
  raw.raw = true;
  ASSERT_OK(RunSimpleCommand(engine.get(), "get", {"k"}, raw, out));
  EXPECT_EQ(out.str(), std::string("line one\n\0binary", 16));
  out.str("");
  ASSERT_OK(RunSimpleCommand(engine.get(), "get", {"k"}, {}, out));
  EXPECT_EQ(out.str(), "line one\\x0a\\x00binary\n");
  EXPECT_THAT(RunSimpleCommand(engine.get(), "flush", {"now"}, {}, out),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("usage: strata flush")));
}

TEST(CliTest, DemoRunsExactlyTheOperationsAskedFor) {
  testing::MemFileSystem fs;
  std::ostringstream out, err;
  ASSERT_OK(RunDemo(&fs, "/db", Small(), SmallDemo(1234, 100), out, err));
  EXPECT_THAT(out.str(), HasSubstr("operations: 1234 ("));
}

TEST(CliTest, DeleteRangeDeletesAHalfOpenRange) {
  testing::MemFileSystem fs;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, "/db", Small()));
  std::ostringstream out;
  for (const char* k : {"a", "b", "c", "d"}) {
    ASSERT_OK(RunSimpleCommand(engine.get(), "put", {k, "v"}, {}, out));
  }
  ASSERT_OK(
      RunSimpleCommand(engine.get(), "delete-range", {"b", "d"}, {}, out));
  ASSERT_OK(RunSimpleCommand(engine.get(), "scan", {}, {}, out));
  EXPECT_EQ(out.str(), "a\tv\nd\tv\n");
  EXPECT_THAT(
      RunSimpleCommand(engine.get(), "delete-range", {"d", "b"}, {}, out),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RunSimpleCommand(engine.get(), "delete-range", {"b"}, {}, out),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("usage: strata delete-range START END")));
}

// A stream that notes how many table blocks the engine had read when the
// first byte of output arrived.
class FirstByteWatch : public std::streambuf {
 public:
  explicit FirstByteWatch(const Engine* engine) : engine_(engine) {}
  uint64_t blocks_at_first_byte = 0;
  std::string text;

 protected:
  int_type overflow(int_type c) override {
    if (text.empty()) {
      blocks_at_first_byte = engine_->stats().table_blocks_read;
    }
    text.push_back(static_cast<char>(c));
    return c;
  }

 private:
  const Engine* const engine_;
};

TEST(CliTest, ScanPrintsAsItReads) {
  testing::MemFileSystem fs;
  EngineOptions o = Small();
  o.auto_compaction = false;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&fs, "/db", o));
  for (int t = 0; t < 20; ++t) {
    for (int i = 0; i < 10; ++i) {
      ASSERT_OK(engine->Put(absl::StrFormat("k%03d", t * 10 + i), "v"));
    }
    ASSERT_OK(engine->Flush());
  }
  FirstByteWatch watch(engine.get());
  std::ostream out(&watch);
  const uint64_t before = engine->stats().table_blocks_read;
  ASSERT_OK(RunSimpleCommand(engine.get(), "scan", {}, {}, out));
  EXPECT_EQ(std::count(watch.text.begin(), watch.text.end(), '\n'), 200);
  EXPECT_LE(watch.blocks_at_first_byte - before, 1u);
  EXPECT_GE(engine->stats().table_blocks_read - before, 20u);
}

TEST(CliTest, HelpForEveryCommand) {
  ASSERT_OK_AND_ASSIGN(std::string all, CommandHelp(""));
  for (const char* c :
       {"demo", "put", "get", "delete", "delete-range", "scan", "flush",
        "compact", "stats", "check", "repair", "workload"}) {
    EXPECT_THAT(all, HasSubstr(absl::StrCat("strata ", c)));
    ASSERT_OK_AND_ASSIGN(std::string one, CommandHelp(c));
    EXPECT_THAT(one, HasSubstr(absl::StrCat("usage: strata ", c)));
  }
  EXPECT_THAT(CommandHelp("frobnicate"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace strata::engine
