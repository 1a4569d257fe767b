#include "emulator/gdb/Endpoint.h"

#include <gtest/gtest.h>

namespace ntoy::gdb {
namespace {

TEST(Endpoint, ParsesHostAndPort) {
    const auto e = parseEndpoint("127.0.0.1:1234");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->host, "127.0.0.1");
    EXPECT_EQ(e->port, 1234);
    EXPECT_EQ(parseEndpoint("localhost:0")->host, "localhost");
    EXPECT_EQ(parseEndpoint("localhost:65535")->port, 65535);
}

TEST(Endpoint, AnEmptyHostIsLoopback) {
    EXPECT_EQ(parseEndpoint(":2345")->host, "127.0.0.1");
}

TEST(Endpoint, TakesIpv6InBrackets) {
    const auto e = parseEndpoint("[::1]:2345");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->host, "::1");
    EXPECT_EQ(e->port, 2345);
    EXPECT_FALSE(parseEndpoint("::1:2345"));
}

TEST(Endpoint, RefusesBadPorts) {
    for (const char* bad : {"localhost", "localhost:", "localhost:x", "localhost:65536",
                            "localhost:-1", "localhost:12 ", ""})
        EXPECT_FALSE(parseEndpoint(bad)) << bad;
    EXPECT_NE(parseEndpoint("localhost").error().find("HOST:PORT"), std::string::npos);
}

}  // namespace
}  // namespace ntoy::gdb
