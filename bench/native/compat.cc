// Symbols that libstdc++.so.6 exports but the libstdc++-14-pic kit's objects lack, for the rebuilt library of
// prepare-libstdcxx.sh. Only what the peer's process asks for (the script checks that list) is here.

#include <condition_variable>
#include <cstdlib>
#include <istream>
#include <limits>
#include <mutex>

// Debian 13's objects were compiled against glibc 2.41, whose headers send strtoul to the C23 variant (glibc 2.38+).
// C23 only adds "0b" prefixes for base 0 and 2, which libstdc++'s callers never pass.
extern "C" unsigned long __isoc23_strtoul(const char* s, char** end, int base)
{
    return std::strtoul(s, end, base);
}

namespace std
{
// istream::ignore(streamsize) for char and wchar_t: libstdc++ defines these specialisations in compatibility.cc,
// which the kit leaves out. Same algorithm as the generic ignore(n) of libstdc++'s istream.tcc.
template <typename C>
static basic_istream<C>& IgnoreCount(basic_istream<C>& s, streamsize n, streamsize& gcount)
{
    using Traits = char_traits<C>;
    gcount = 0;
    typename basic_istream<C>::sentry cerb(s, true);
    if (cerb && n > 0)
    {
        ios_base::iostate err = ios_base::goodbit;
        try
        {
            const typename Traits::int_type eof = Traits::eof();
            basic_streambuf<C>* sb = s.rdbuf();
            typename Traits::int_type c = sb->sgetc();
            bool unbounded = n == numeric_limits<streamsize>::max();
            while ((unbounded || gcount < n) && !Traits::eq_int_type(c, eof))
            {
                if (gcount < numeric_limits<streamsize>::max()) ++gcount;
                c = sb->snextc();
            }
            if (Traits::eq_int_type(c, eof)) err |= ios_base::eofbit;
        }
        catch (...)
        {
            err |= ios_base::badbit;
        }
        if (err) s.setstate(err);
    }
    return s;
}

template <>
basic_istream<char>& basic_istream<char>::ignore(streamsize n)
{
    return IgnoreCount(*this, n, _M_gcount);
}

template <>
basic_istream<wchar_t>& basic_istream<wchar_t>::ignore(streamsize n)
{
    return IgnoreCount(*this, n, _M_gcount);
}
}

// condition_variable::wait at its old version GLIBCXX_3.4.11 (libstdc++'s compatibility-condvar.cc), which libtorch
// was linked against; the kit exports only the GLIBCXX_3.4.30 one.
extern "C" void DendriteCondvarWait3411(std::condition_variable* cv, std::unique_lock<std::mutex>& lock)
{
    cv->wait(lock);
}
__asm__(".symver DendriteCondvarWait3411,_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE@GLIBCXX_3.4.11");
