#include "tools/cli_util.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace strata::tools {

const char kExitCodesHelp[] =
    "exit codes: 0 success, 1 not found, 2 usage error, 3 data loss or "
    "corruption, 4 other errors";

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kInvalidArgument:
      return kExitUsage;
    case absl::StatusCode::kDataLoss:
      return kExitDataLoss;
    default:
      return kExitError;
  }
}

int ReportError(absl::string_view program, const absl::Status& status) {
  absl::string_view message = status.message();
  const std::string prefix = absl::StrCat(program, ": ");
  while (absl::ConsumePrefix(&message, prefix)) {
  }
  const std::string line =
      absl::StrCat(program, ": ", absl::StatusCodeToString(status.code()), ": ",
                   message, "\n");
  std::fputs(line.c_str(), stderr);
  return ExitCodeFor(status);
}

std::string ResolveUserPath(absl::string_view path) {
  const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY");
  if (path.empty() || path[0] == '/' || cwd == nullptr || *cwd == '\0') {
    return std::string(path);
  }
  return io::JoinPath(cwd, path);
}

bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view a = argv[i];
    if (a == "--help" || a == "-h" || a == "-help" || a == "--helpfull") {
      return true;
    }
    if (a == "--") break;
  }
  return argc > 1 && absl::string_view(argv[1]) == "help";
}

absl::Status CheckFlags(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) {
      continue;
    }
    if (arg.empty()) continue;  // A lone "-" (stdin) is an argument.
    const size_t eq = arg.find('=');
    const absl::string_view name = arg.substr(0, eq);
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && absl::ConsumePrefix(&arg, "no")) {
      flag = absl::FindCommandLineFlag(arg.substr(0, eq - 2));
      if (flag != nullptr && flag->IsOfType<bool>() &&
          eq == absl::string_view::npos) {
        continue;  // --noflag
      }
      flag = nullptr;
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " (--help lists them)"));
    }
    absl::string_view value;
    if (eq != absl::string_view::npos) {
      value = arg.substr(eq + 1);
    } else if (flag->IsOfType<bool>()) {
      continue;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", name, " needs a value"));
    }
    // Parsed into a copy: the flag itself is set by ParseCommandLine.
    const std::string saved = flag->CurrentValue();
    std::string error;
    const bool ok = flag->ParseFrom(value, &error);
    std::string ignored;
    flag->ParseFrom(saved, &ignored);
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad value \"", value, "\" for --", name, ": ", error));
    }
  }
  return absl::OkStatus();
}

std::optional<int> StartTool(int argc, char** argv, absl::string_view program,
                             absl::string_view help) {
  if (WantsHelp(argc, argv)) {
    const std::string text = absl::StrCat(help, "\n", kExitCodesHelp, "\n");
    std::fputs(text.c_str(), stdout);
    return kExitOk;
  }
  if (absl::Status s = CheckFlags(argc, argv); !s.ok()) {
    return ReportError(program, s);
  }
  return std::nullopt;
}

std::string PartDirectory(io::FileSystem* fs, const std::string& dir,
                          absl::string_view part) {
  const std::string inside = io::JoinPath(dir, part);
  if (fs->FileExists(inside).ok()) return inside;
  return dir;
}

}  // namespace strata::tools
