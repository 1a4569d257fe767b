// NTSTATUS values the kernel returns and raises, with their names for traces and messages.
#pragma once

#include <cstdint>
#include <string_view>

namespace ntoy {

enum class NtStatus : std::uint32_t {
    Success = 0x00000000,         // also STATUS_WAIT_0: wait any adds the object's index
    AbandonedWait0 = 0x00000080,  // STATUS_ABANDONED: wait any adds the index
    UserApc = 0x000000C0,
    Alerted = 0x00000101,
    Timeout = 0x00000102,
    Pending = 0x00000103,
    WorkingSetLimitRange = 0x40000002,
    WasLocked = 0x40000019,
    NoYieldPerformed = 0x40000024,
    GuardPageViolation = 0x80000001,
    DatatypeMisalignment = 0x80000002,
    Breakpoint = 0x80000003,
    SingleStep = 0x80000004,
    Unsuccessful = 0xC0000001,
    NotImplemented = 0xC0000002,
    InvalidInfoClass = 0xC0000003,
    InfoLengthMismatch = 0xC0000004,
    AccessViolation = 0xC0000005,
    InPageError = 0xC0000006,
    InvalidHandle = 0xC0000008,
    InvalidParameter = 0xC000000D,
    NoMemory = 0xC0000017,
    ConflictingAddresses = 0xC0000018,
    UnableToFreeVm = 0xC000001A,
    UnableToDeleteSection = 0xC000001B,
    IllegalInstruction = 0xC000001D,
    AlreadyCommitted = 0xC0000021,
    AccessDenied = 0xC0000022,
    ObjectTypeMismatch = 0xC0000024,
    InvalidParameterMix = 0xC0000030,
    ObjectNameInvalid = 0xC0000033,
    MutantNotOwned = 0xC0000046,
    SemaphoreLimitExceeded = 0xC0000047,
    InsufficientResources = 0xC000009A,
    MutantLimitExceeded = 0xC0000191,
    HandleNotClosable = 0xC0000235,
    NoncontinuableException = 0xC0000025,
    InvalidDisposition = 0xC0000026,
    NotLocked = 0xC000002A,
    NotCommitted = 0xC000002D,
    QuotaExceeded = 0xC0000044,
    BadWorkingSetLimit = 0xC000004C,
    PrivilegeNotHeld = 0xC0000061,
    WorkingSetQuota = 0xC00000A1,
    InvalidPageProtection = 0xC0000045,
    FreeVmNotAtBase = 0xC000009F,
    MemoryNotAllocated = 0xC00000A0,
    ArrayBoundsExceeded = 0xC000008C,
    FloatDenormalOperand = 0xC000008D,
    FloatDivideByZero = 0xC000008E,
    FloatInexactResult = 0xC000008F,
    FloatInvalidOperation = 0xC0000090,
    FloatOverflow = 0xC0000091,
    FloatStackCheck = 0xC0000092,
    FloatUnderflow = 0xC0000093,
    AssertionFailure = 0xC0000420,
    StackBufferOverrun = 0xC0000409,
    FloatMultipleTraps = 0xC00002B5,
    IntegerDivideByZero = 0xC0000094,
    IntegerOverflow = 0xC0000095,
    PrivilegedInstruction = 0xC0000096,
    InvalidParameter1 = 0xC00000EF,
    InvalidParameter2 = 0xC00000F0,
    InvalidParameter3 = 0xC00000F1,
    InvalidParameter4 = 0xC00000F2,
    InvalidParameter5 = 0xC00000F3,
    InvalidParameter6 = 0xC00000F4,
    StackOverflow = 0xC00000FD,
    CommitmentLimit = 0xC000012D,
    InvalidAddress = 0xC0000141,
    NotMappedView = 0xC0000019,
    ProcedureNotFound = 0xC000007A,
    InvalidImageFormat = 0xC000007B,
    DllNotFound = 0xC0000135,
    OrdinalNotFound = 0xC0000138,
    EntrypointNotFound = 0xC0000139,
    InvalidSystemService = 0xC000001C,
    SuspendCountExceeded = 0xC000004A,
    ThreadIsTerminating = 0xC000004B,
    ProcessIsTerminating = 0xC000010A,
    PartialCopy = 0x8000000D,
    BufferOverflow = 0x80000005,
    NoMoreFiles = 0x80000006,
    NoSuchFile = 0xC000000F,
    BadStack = 0xC0000028,             // the unwinder's: a frame outside the stack
    InvalidUnwindTarget = 0xC0000029,  // the unwinder's: the target frame was not found
    InvalidCid = 0xC000000B,
    ObjectNameNotFound = 0xC0000034,
    EndOfFile = 0xC0000011,
    InvalidDeviceRequest = 0xC0000010,
    ObjectNameCollision = 0xC0000035,
    ObjectPathNotFound = 0xC000003A,
    ObjectPathSyntaxBad = 0xC000003B,
    SharingViolation = 0xC0000043,
    DeletePending = 0xC0000056,
    DiskFull = 0xC000007F,
    FileIsADirectory = 0xC00000BA,
    DirectoryNotEmpty = 0xC0000101,
    NotADirectory = 0xC0000103,
    PipeBroken = 0xC000014B,
    EasNotSupported = 0xC000004F,
    CannotDelete = 0xC0000121,
    NotSupported = 0xC00000BB,
    Cancelled = 0xC0000120,
};

constexpr std::uint32_t raw(NtStatus s) {
    return static_cast<std::uint32_t>(s);
}
constexpr bool ntSuccess(NtStatus s) {
    return static_cast<std::int32_t>(raw(s)) >= 0;
}

std::string_view ntStatusName(NtStatus s);

}  // namespace ntoy
