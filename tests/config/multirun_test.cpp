// Sweep expansion: cartesian product in Hydra's order, ranges, quoting.
#include "config_test_util.h"

namespace specrouter {
namespace {

using testing::config_error;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::vector<std::string>> overrides_of(const std::vector<Job>& jobs) {
  std::vector<std::vector<std::string>> out;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_EQ(jobs[i].number, i);
    out.push_back(jobs[i].overrides);
  }
  return out;
}

TEST(Multirun, WithoutSweepsThereIsOneJob) {
  const std::vector<Job> jobs = expand_multirun({"a=1", "db=mysql"});
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_THAT(jobs[0].overrides, ElementsAre("a=1", "db=mysql"));
  EXPECT_EQ(expand_multirun({}).size(), 1u);
}

TEST(Multirun, CartesianProductFirstOverrideVariesSlowest) {
  const auto jobs = overrides_of(expand_multirun({"db=mysql,postgres", "fixed=1", "a=1,2,3"}));
  ASSERT_EQ(jobs.size(), 6u);
  EXPECT_THAT(jobs[0], ElementsAre("db=mysql", "fixed=1", "a=1"));
  EXPECT_THAT(jobs[1], ElementsAre("db=mysql", "fixed=1", "a=2"));
  EXPECT_THAT(jobs[2], ElementsAre("db=mysql", "fixed=1", "a=3"));
  EXPECT_THAT(jobs[3], ElementsAre("db=postgres", "fixed=1", "a=1"));
  EXPECT_THAT(jobs[5], ElementsAre("db=postgres", "fixed=1", "a=3"));
}

TEST(Multirun, PrefixesAndPackagesAreKept) {
  const auto jobs = overrides_of(expand_multirun({"+x=1,2", "++y@pkg=a,b"}));
  ASSERT_EQ(jobs.size(), 4u);
  EXPECT_THAT(jobs[0], ElementsAre("+x=1", "++y@pkg=a"));
  EXPECT_THAT(jobs[3], ElementsAre("+x=2", "++y@pkg=b"));
}

TEST(Multirun, IntegerRangesFollowPython) {
  EXPECT_THAT(overrides_of(expand_multirun({"s=range(0,3)"})),
              ElementsAre(ElementsAre("s=0"), ElementsAre("s=1"), ElementsAre("s=2")));
  EXPECT_THAT(overrides_of(expand_multirun({"s=range(3)"})),
              ElementsAre(ElementsAre("s=0"), ElementsAre("s=1"), ElementsAre("s=2")));
  EXPECT_THAT(overrides_of(expand_multirun({"s=range(1, 10, 4)"})),
              ElementsAre(ElementsAre("s=1"), ElementsAre("s=5"), ElementsAre("s=9")));
  EXPECT_THAT(overrides_of(expand_multirun({"s=range(5,0,-2)"})),
              ElementsAre(ElementsAre("s=5"), ElementsAre("s=3"), ElementsAre("s=1")));
}

TEST(Multirun, FloatRangesAreExactDecimals) {
  EXPECT_THAT(
      overrides_of(expand_multirun({"lr=range(0,1,0.25)"})),
      ElementsAre(ElementsAre("lr=0.0"), ElementsAre("lr=0.25"), ElementsAre("lr=0.5"), ElementsAre("lr=0.75")));
  const auto tenths = overrides_of(expand_multirun({"p=range(0.1,0.5,0.1)"}));
  EXPECT_THAT(tenths,
              ElementsAre(ElementsAre("p=0.1"), ElementsAre("p=0.2"), ElementsAre("p=0.3"), ElementsAre("p=0.4")));
  EXPECT_THAT(overrides_of(expand_multirun({"t=range(1.5,-0.5,-1)"})),
              ElementsAre(ElementsAre("t=1.5"), ElementsAre("t=0.5")));
  EXPECT_THAT(overrides_of(expand_multirun({"e=range(0,3e-3,1e-3)"})),
              ElementsAre(ElementsAre("e=0.0"), ElementsAre("e=0.001"), ElementsAre("e=0.002")));
}

TEST(Multirun, QuotedCommasAndListsAreNotSplit) {
  EXPECT_EQ(expand_multirun({"msg='a,b'"}).size(), 1u);
  EXPECT_EQ(expand_multirun({"shape=[1,2]"}).size(), 1u);
  EXPECT_EQ(expand_multirun({"home=${oc.env:HOME,/tmp}"}).size(), 1u);
  const auto jobs = overrides_of(expand_multirun({"msg='a,b',\"c,d\",e", "shape=[1,2],[3]"}));
  ASSERT_EQ(jobs.size(), 6u);
  EXPECT_THAT(jobs[0], ElementsAre("msg='a,b'", "shape=[1,2]"));
  EXPECT_THAT(jobs[1], ElementsAre("msg='a,b'", "shape=[3]"));
  EXPECT_THAT(jobs[2], ElementsAre("msg=\"c,d\"", "shape=[1,2]"));
  EXPECT_THAT(jobs[5], ElementsAre("msg=e", "shape=[3]"));
}

TEST(Multirun, ChoiceIsAList) {
  EXPECT_THAT(overrides_of(expand_multirun({"db=choice(mysql, postgres)"})),
              ElementsAre(ElementsAre("db=mysql"), ElementsAre("db=postgres")));
}

TEST(Multirun, MalformedSweepsAreErrors) {
  EXPECT_THAT(config_error([] { expand_multirun({"a=1,,2"}); }), HasSubstr("'a=1,,2': a sweep value is empty"));
  EXPECT_THAT(config_error([] { expand_multirun({"a=range(1,1)"}); }), HasSubstr("the range is empty"));
  EXPECT_THAT(config_error([] { expand_multirun({"a=range(0,5,0)"}); }), HasSubstr("the range step is 0"));
  EXPECT_THAT(config_error([] { expand_multirun({"a=range(x,5)"}); }), HasSubstr("range bound 'x' is not a number"));
  EXPECT_THAT(config_error([] { expand_multirun({"a=range(1,2,3,4)"}); }), HasSubstr("expected range(stop)"));
  EXPECT_THAT(config_error([] { expand_multirun({"a"}); }), HasSubstr("malformed override 'a'"));
}

TEST(Multirun, EveryJobComposes) {
  const std::vector<Job> jobs = expand_multirun({"db=mysql,postgres", "app.port=range(8000,8002)"});
  ASSERT_EQ(jobs.size(), 4u);
  std::vector<std::string> seen;
  for (const Job& job : jobs) {
    const ComposedConfig config = testing::compose_tree("basic", job.overrides);
    seen.push_back(testing::text_at(config, "db.driver") + ":" + testing::text_at(config, "app.port"));
  }
  EXPECT_THAT(seen, ElementsAre("mysql:8000", "mysql:8001", "postgres:8000", "postgres:8001"));
}

}  // namespace
}  // namespace specrouter
