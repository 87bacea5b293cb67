// GoogleTest matchers and macros for absl::Status and absl::StatusOr<T>.
// Debian's abseil 20220623 ships none.
//
//   EXPECT_THAT(fs->RemoveFile(p), IsOk());
//   EXPECT_THAT(reader.Next(), StatusIs(absl::StatusCode::kDataLoss,
//                                       HasSubstr("offset 4096")));
//   EXPECT_THAT(fs->GetFileSize(p), IsOkAndHolds(42));
//   ASSERT_OK(writer.Append(record));
//   ASSERT_OK_AND_ASSIGN(auto file, fs->NewWritableFile(path));

#ifndef STRATA_TESTING_STATUS_MATCHERS_H_
#define STRATA_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

class StatusIsMatcher {
 public:
  StatusIsMatcher(absl::StatusCode code,
                  ::testing::Matcher<const std::string&> message)
      : code_(code), message_(std::move(message)) {}

  template <typename T>
  bool MatchAndExplain(const T& value,
                       ::testing::MatchResultListener* listener) const {
    const absl::Status& status = GetStatus(value);
    *listener << "whose status is " << status;
    return status.code() == code_ &&
           message_.Matches(std::string(status.message()));
  }

  void DescribeTo(std::ostream* os) const {
    *os << "has status code " << absl::StatusCodeToString(code_)
        << " and a message that ";
    message_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "does not have status code " << absl::StatusCodeToString(code_)
        << " or has a message that ";
    message_.DescribeNegationTo(os);
  }

 private:
  absl::StatusCode code_;
  ::testing::Matcher<const std::string&> message_;
};

template <typename InnerMatcher>
class IsOkAndHoldsMatcher {
 public:
  explicit IsOkAndHoldsMatcher(InnerMatcher inner) : inner_(std::move(inner)) {}

  template <typename T>
  bool MatchAndExplain(const absl::StatusOr<T>& value,
                       ::testing::MatchResultListener* listener) const {
    if (!value.ok()) {
      *listener << "whose status is " << value.status();
      return false;
    }
    return ::testing::MatcherCast<const T&>(inner_).MatchAndExplain(*value,
                                                                    listener);
  }

  void DescribeTo(std::ostream* os) const {
    *os << "is OK and holds a value that matches the inner matcher";
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "is not OK or holds a value that does not match";
  }

 private:
  InnerMatcher inner_;
};

}  // namespace internal

// Matches an OK absl::StatusOr<T> whose value matches `inner`.
template <typename InnerMatcher>
::testing::PolymorphicMatcher<internal::IsOkAndHoldsMatcher<InnerMatcher>>
IsOkAndHolds(InnerMatcher inner) {
  return ::testing::MakePolymorphicMatcher(
      internal::IsOkAndHoldsMatcher<InnerMatcher>(std::move(inner)));
}

// Matches an OK absl::Status or absl::StatusOr<T>.
MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "whose status is " << status;
  return status.ok();
}

// Matches a Status or StatusOr whose code is `code` and whose message
// matches `message` (any string by default).
inline ::testing::PolymorphicMatcher<internal::StatusIsMatcher> StatusIs(
    absl::StatusCode code,
    ::testing::Matcher<const std::string&> message = ::testing::_) {
  return ::testing::MakePolymorphicMatcher(
      internal::StatusIsMatcher(code, std::move(message)));
}

}  // namespace strata::testing

#define STRATA_STATUS_CONCAT_INNER_(a, b) a##b
#define STRATA_STATUS_CONCAT_(a, b) STRATA_STATUS_CONCAT_INNER_(a, b)

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::strata::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::strata::testing::IsOk())

// Evaluates a StatusOr expression, asserts it is OK and moves its value
// into `lhs` (which may be a declaration).
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                             \
  auto STRATA_STATUS_CONCAT_(status_or_, __LINE__) = (expr);        \
  ASSERT_THAT(STRATA_STATUS_CONCAT_(status_or_, __LINE__).status(), \
              ::strata::testing::IsOk());                           \
  lhs = std::move(STRATA_STATUS_CONCAT_(status_or_, __LINE__)).value()

#endif  // STRATA_TESTING_STATUS_MATCHERS_H_
