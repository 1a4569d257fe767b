// An ordinary C++ program (issue 11's corpus): iostream, std::vector, std::string and C++
// exceptions, built with mingw-w64's g++ both -static and against libstdc++-6.dll. Its stdout
// is deterministic and compared byte for byte with tests/guest/expected/crt/cxx_basics.txt;
// std::cerr lines go to stderr, which the test does not compare. Exits 0 when every check
// held, 1 otherwise.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        ++failures;
        std::cout << "FAILED: " << what << std::endl;
    }
}

// Prints its construction and destruction, so the output shows which destructors ran while an
// exception passed through.
struct Tracer {
    explicit Tracer(std::string name) : name_(std::move(name)) {
        std::cout << "  enter " << name_ << '\n';
    }
    ~Tracer() { std::cout << "  leave " << name_ << '\n'; }
    Tracer(const Tracer&) = delete;
    Tracer& operator=(const Tracer&) = delete;

private:
    std::string name_;
};

// A user-defined exception type carrying a code, outside std::exception's hierarchy.
struct ParseError {
    int line;
    std::string message;
};

void streams() {
    std::cout << "== streams" << std::endl;
    std::cout << "int " << 42 << ", negative " << -7 << ", char " << 'x' << ", bool "
              << std::boolalpha << true << std::noboolalpha << '\n';
    std::cout << "hex " << std::hex << 255 << " " << std::showbase << 4096 << std::noshowbase
              << std::dec << " back " << 255 << '\n';
    std::cout << "[" << std::setw(6) << 123 << "][" << std::left << std::setw(6) << 45 << std::right
              << "][" << std::setfill('0') << std::setw(5) << 9 << std::setfill(' ') << "]\n";
    std::cout << "fixed " << std::fixed << std::setprecision(3) << 3.14159 << " " << std::scientific
              << 12345.678 << std::defaultfloat << std::setprecision(6) << " general " << 0.1 << " "
              << 1e20 << '\n';
    std::cerr << "cxx_basics: this line goes to stderr" << std::endl;

    std::ostringstream out;
    out << "built " << 3 << '+' << 4.5;
    std::istringstream in("17 words 2.25");
    int number = 0;
    std::string word;
    double real = 0;
    in >> number >> word >> real;
    std::cout << "ostringstream \"" << out.str() << "\", istringstream " << number << " " << word
              << " " << real << '\n';
    check(out.str() == "built 3+4.5", "ostringstream");
    check(number == 17 && word == "words" && real == 2.25, "istringstream");
}

void vectors() {
    std::cout << "== vector" << std::endl;
    std::vector<int> values;
    std::size_t reallocations = 0;
    std::size_t capacity = values.capacity();
    for (int i = 0; i < 1000; ++i) {
        values.push_back((i * 7919) % 1009);
        if (values.capacity() != capacity) {
            ++reallocations;
            capacity = values.capacity();
        }
    }
    std::cout << "size " << values.size() << ", grew " << (reallocations > 5 ? "often" : "rarely")
              << '\n';
    std::sort(values.begin(), values.end());
    std::cout << "sorted head";
    for (std::size_t i = 0; i < 5; ++i) {
        std::cout << ' ' << values[i];
    }
    std::cout << ", tail " << values.back() << ", sorted "
              << (std::is_sorted(values.begin(), values.end()) ? "yes" : "no") << '\n';
    long long sum = 0;
    for (int v : values) {
        sum += v;
    }
    std::cout << "sum " << sum << '\n';

    std::vector<std::string> names{"pear", "apple", "fig", "banana"};
    std::sort(names.begin(), names.end(),
              [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
    std::cout << "by length:";
    for (const auto& name : names) {
        std::cout << ' ' << name;
    }
    std::cout << '\n';
    check(names.front() == "fig" && names.back() == "banana", "sort by length");
}

void strings() {
    std::cout << "== string" << std::endl;
    std::string greeting = "Hello";
    greeting += ", ";
    greeting = greeting + "world" + '!';
    std::cout << greeting << " (" << greeting.size() << " chars)\n";
    std::cout << "find \"world\" at " << greeting.find("world") << ", find 'z' "
              << (greeting.find('z') == std::string::npos ? "npos" : "found") << '\n';
    std::cout << "substr(7, 5) \"" << greeting.substr(7, 5) << "\"\n";
    std::string longer(100, 'a');
    longer.replace(10, 80, "-");
    std::cout << "replaced size " << longer.size() << '\n';
    std::cout << "to_string " << std::to_string(-1234) << " stoi " << std::stoi("  56xyz") << '\n';
    check(greeting == "Hello, world!", "concatenation");
}

void throws_runtime_error() {
    throw std::runtime_error("disk on fire");
}

void deepest(int depth) {
    Tracer tracer("frame " + std::to_string(depth));
    if (depth == 3) {
        throw ParseError{42, "unexpected token"};
    }
    deepest(depth + 1);
}

void rethrows() {
    try {
        Tracer tracer("rethrows");
        throw std::out_of_range("index 9");
    } catch (...) {
        std::cout << "  catch(...) in rethrows, rethrowing" << '\n';
        throw;
    }
}

void exceptions() {
    std::cout << "== exceptions" << std::endl;
    try {
        throws_runtime_error();
        std::cout << "not reached\n";
    } catch (const std::runtime_error& error) {
        std::cout << "caught runtime_error: " << error.what() << '\n';
    }

    try {
        Tracer outer("outer");
        deepest(1);
    } catch (const ParseError& error) {
        std::cout << "caught ParseError line " << error.line << ": " << error.message << '\n';
    }

    try {
        rethrows();
    } catch (const std::logic_error& error) {
        std::cout << "caught rethrown logic_error: " << error.what() << '\n';
    }

    try {
        std::vector<int> small(3);
        std::cout << small.at(5);
    } catch (const std::out_of_range&) {
        std::cout << "vector::at threw out_of_range\n";
    }

    try {
        std::stoi("not a number");
    } catch (const std::invalid_argument&) {
        std::cout << "stoi threw invalid_argument\n";
    }

    int caught = 0;
    for (int i = 0; i < 100; ++i) {
        try {
            if (i % 2 == 0) {
                throw i;
            }
            throw std::to_string(i);
        } catch (int) {
            ++caught;
        } catch (const std::string&) {
            ++caught;
        }
    }
    std::cout << "caught " << caught << " of 100 in a loop\n";
    check(caught == 100, "exception loop");
}

}  // namespace

int main() {
    streams();
    vectors();
    strings();
    exceptions();
    std::cout << (failures == 0 ? "all checks passed" : "some checks failed") << std::endl;
    return failures == 0 ? 0 : 1;
}
