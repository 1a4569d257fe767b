/* The x64 unwinder: RtlCaptureContext, RtlVirtualUnwind, RtlUnwindEx and RtlUnwind, and the
 * frame-based half of exception dispatch (ntoy_dispatch_to_frames, which
 * KiUserExceptionDispatcher runs after the vectored handlers, as Windows'
 * RtlDispatchException). Shared by ntdll.dll and ntoskrnl.exe: what differs between user mode
 * and kernel mode (RtlLookupFunctionEntry, the stack's bounds, how a context is resumed) each
 * provides (unwind.h; ntdll/unwind_user.c, ntoskrnl/exceptions.c).
 *
 * The format is Windows' (UNWIND_INFO versions 1 and 2, every UNWIND_CODE, chained info) and
 * so are the rules: codes of a prolog that has not finished are skipped, a pc inside an
 * epilog (add/lea rsp, pops, then ret or a jump out of the function) is unwound by emulating
 * the rest of the epilog and has no handler, a function without an entry is a leaf whose
 * return address is at RSP. Language handlers are called with the dispatcher context Windows
 * gives them, exception handlers while dispatching (UNW_FLAG_EHANDLER) and termination
 * handlers while unwinding (UNW_FLAG_UHANDLER, with EXCEPTION_UNWINDING, and
 * EXCEPTION_TARGET_UNWIND at the target frame).
 *
 * Not here: nested-exception and collided-unwind detection (a handler that raises, or a
 * termination handler that starts an unwind of its own, is dispatched or unwound from its own
 * frame, without the outer walk's frames skipped), and unwind history tables (accepted and not
 * used). */
#include "unwind.h"

#include "ntoy/nt_status.h"

/* ---- RtlCaptureContext --------------------------------------------------------------------- */

/* The caller's registers as they are at the call, RIP its return address and RSP its value
 * after the return; ContextFlags CONTEXT_FULL | CONTEXT_SEGMENTS. */
__asm__(
    "\t.text\n"
    "\t.p2align 4\n"
    "\t.globl RtlCaptureContext\n"
    "\t.def RtlCaptureContext; .scl 2; .type 32; .endef\n"
    "\t.seh_proc RtlCaptureContext\n"
    "RtlCaptureContext:\n"
    "\tpushfq\n"
    "\t.seh_stackalloc 8\n"
    "\t.seh_endprologue\n"
    "\tmovl $0x10000f, 0x30(%rcx)\n"
    "\tmovq %rax, 0x78(%rcx)\n"
    "\tmovq %rcx, 0x80(%rcx)\n"
    "\tmovq %rdx, 0x88(%rcx)\n"
    "\tmovq %rbx, 0x90(%rcx)\n"
    "\tleaq 16(%rsp), %rax\n"
    "\tmovq %rax, 0x98(%rcx)\n"
    "\tmovq %rbp, 0xa0(%rcx)\n"
    "\tmovq %rsi, 0xa8(%rcx)\n"
    "\tmovq %rdi, 0xb0(%rcx)\n"
    "\tmovq %r8, 0xb8(%rcx)\n"
    "\tmovq %r9, 0xc0(%rcx)\n"
    "\tmovq %r10, 0xc8(%rcx)\n"
    "\tmovq %r11, 0xd0(%rcx)\n"
    "\tmovq %r12, 0xd8(%rcx)\n"
    "\tmovq %r13, 0xe0(%rcx)\n"
    "\tmovq %r14, 0xe8(%rcx)\n"
    "\tmovq %r15, 0xf0(%rcx)\n"
    "\tmovq 8(%rsp), %rax\n"
    "\tmovq %rax, 0xf8(%rcx)\n"
    "\tmovl (%rsp), %eax\n"
    "\tmovl %eax, 0x44(%rcx)\n"
    "\tmovw %cs, 0x38(%rcx)\n"
    "\tmovw %ds, 0x3a(%rcx)\n"
    "\tmovw %es, 0x3c(%rcx)\n"
    "\tmovw %fs, 0x3e(%rcx)\n"
    "\tmovw %gs, 0x40(%rcx)\n"
    "\tmovw %ss, 0x42(%rcx)\n"
    "\tfxsave 0x100(%rcx)\n"
    "\tstmxcsr 0x34(%rcx)\n"
    "\tmovq 0x78(%rcx), %rax\n"
    "\taddq $8, %rsp\n"
    "\tret\n"
    "\t.seh_endproc\n");

/* A noncontinuable exception with STATUS and, if CAUSE, the record that led to it. */
__attribute__((noinline)) static void raise_status(NTSTATUS status, PEXCEPTION_RECORD cause) {
    EXCEPTION_RECORD record;
    record.ExceptionCode = (DWORD)status;
    record.ExceptionFlags = EXCEPTION_NONCONTINUABLE;
    record.ExceptionRecord = cause;
    record.ExceptionAddress = NULL;
    record.NumberParameters = 0;
    RtlRaiseException(&record);
    ntoy_unwind_give_up(status);
}

/* ---- Function tables ----------------------------------------------------------------------- */

#define RUNTIME_FUNCTION_INDIRECT 0x1

/* The entry for RVA in a sorted table (an image's .pdata), following indirect entries. */
PRUNTIME_FUNCTION ntoy_search_function_table(PRUNTIME_FUNCTION entries, DWORD count, DWORD rva,
                                             DWORD64 base) {
    DWORD low = 0, high = count;
    while (low < high) {
        DWORD middle = low + (high - low) / 2;
        if (rva < entries[middle].BeginAddress) {
            high = middle;
        } else if (rva >= entries[middle].EndAddress) {
            low = middle + 1;
        } else {
            PRUNTIME_FUNCTION entry = &entries[middle];
            if (entry->UnwindData & RUNTIME_FUNCTION_INDIRECT) {
                entry =
                    (PRUNTIME_FUNCTION)(base + (entry->UnwindData & ~RUNTIME_FUNCTION_INDIRECT));
            }
            return entry;
        }
    }
    return NULL;
}

/* ---- RtlVirtualUnwind ---------------------------------------------------------------------- */

enum {
    UWOP_PUSH_NONVOL = 0,
    UWOP_ALLOC_LARGE = 1,
    UWOP_ALLOC_SMALL = 2,
    UWOP_SET_FPREG = 3,
    UWOP_SAVE_NONVOL = 4,
    UWOP_SAVE_NONVOL_FAR = 5,
    UWOP_EPILOG = 6, /* version 2; UWOP_SAVE_XMM in version 1, the same size */
    UWOP_SPARE_CODE = 7,
    UWOP_SAVE_XMM128 = 8,
    UWOP_SAVE_XMM128_FAR = 9,
    UWOP_PUSH_MACHFRAME = 10
};

typedef union UnwindCode {
    struct {
        BYTE CodeOffset;
        BYTE UnwindOp : 4;
        BYTE OpInfo : 4;
    } s;
    USHORT FrameOffset;
} UnwindCode;

typedef struct UnwindInfo {
    BYTE Version : 3;
    BYTE Flags : 5;
    BYTE SizeOfProlog;
    BYTE CountOfCodes;
    BYTE FrameRegister : 4;
    BYTE FrameOffset : 4;
    UnwindCode UnwindCode[];
} UnwindInfo;

static DWORD64* integer_register(PCONTEXT context, ULONG number) {
    return &context->Rax + number; /* Rax..R15 in the encoding's order */
}

/* Slots an unwind code takes. */
static ULONG code_slots(UnwindCode code) {
    switch (code.s.UnwindOp) {
        case UWOP_ALLOC_LARGE:
            return code.s.OpInfo == 0 ? 2 : 3;
        case UWOP_SAVE_NONVOL:
        case UWOP_SAVE_XMM128:
            return 2;
        case UWOP_EPILOG:
            return 2;
        case UWOP_SAVE_NONVOL_FAR:
        case UWOP_SPARE_CODE:
        case UWOP_SAVE_XMM128_FAR:
            return 3;
        default:
            return 1;
    }
}

static void pop_register(PCONTEXT context, ULONG number, PKNONVOLATILE_CONTEXT_POINTERS pointers) {
    DWORD64* slot = (DWORD64*)context->Rsp;
    *integer_register(context, number) = *slot;
    if (pointers != NULL) {
        pointers->IntegerContext[number] = slot;
    }
    context->Rsp += 8;
}

/* Whether the code at PC is the rest of an epilog of FUNCTION: an optional add/lea to RSP,
 * pops, then ret or a jump that leaves the function (a tail call). */
static BOOLEAN is_inside_epilog(const BYTE* pc, DWORD64 base, PRUNTIME_FUNCTION function) {
    if ((pc[0] & 0xF8) == 0x48) {
        if (pc[1] == 0x81 && pc[0] == 0x48 && pc[2] == 0xC4) {
            pc += 7; /* add $imm32, %rsp */
        } else if (pc[1] == 0x83 && pc[0] == 0x48 && pc[2] == 0xC4) {
            pc += 4; /* add $imm8, %rsp */
        } else if (pc[1] == 0x8D && (pc[0] & 0x06) == 0 && ((pc[2] >> 3) & 7) == 4 &&
                   (pc[2] & 7) != 4 && (pc[2] >> 6) != 0 && (pc[2] >> 6) != 3) {
            pc += (pc[2] >> 6) == 1 ? 4 : 7; /* lea disp(%reg), %rsp */
        } else {
            return FALSE;
        }
    }
    for (;;) {
        if ((pc[0] & 0xF0) == 0x40) {
            ++pc; /* REX */
        }
        if (pc[0] >= 0x58 && pc[0] <= 0x5F) {
            ++pc;
            continue;
        }
        if (pc[0] == 0xC3 || pc[0] == 0xC2 || (pc[0] == 0xF3 && pc[1] == 0xC3)) {
            return TRUE;
        }
        if (pc[0] == 0xE9 || pc[0] == 0xEB) {
            LONG displacement = pc[0] == 0xEB ? (signed char)pc[1] : *(const LONG*)(pc + 1);
            DWORD64 target = (DWORD64)pc + (pc[0] == 0xEB ? 2 : 5) + displacement;
            return target < base + function->BeginAddress || target >= base + function->EndAddress;
        }
        if (pc[0] == 0xFF && pc[1] == 0x25) {
            return TRUE; /* jmp *disp32(%rip): an import thunk's tail call */
        }
        return FALSE;
    }
}

/* Runs the rest of the epilog at PC on CONTEXT (is_inside_epilog said it is one). */
static void interpret_epilog(const BYTE* pc, PCONTEXT context,
                             PKNONVOLATILE_CONTEXT_POINTERS pointers) {
    for (;;) {
        BYTE rex = 0;
        if ((pc[0] & 0xF0) == 0x40) {
            rex = *pc++;
        }
        switch (pc[0]) {
            case 0x58:
            case 0x59:
            case 0x5A:
            case 0x5B:
            case 0x5C:
            case 0x5D:
            case 0x5E:
            case 0x5F:
                pop_register(context, (pc[0] - 0x58) + ((rex & 1) ? 8 : 0), pointers);
                ++pc;
                continue;
            case 0x81: /* add $imm32, %rsp */
                context->Rsp += *(const LONG*)(pc + 2);
                pc += 6;
                continue;
            case 0x83: /* add $imm8, %rsp */
                context->Rsp += (signed char)pc[2];
                pc += 3;
                continue;
            case 0x8D: { /* lea disp(%reg), %rsp */
                DWORD64 reg = *integer_register(context, (pc[1] & 7) + ((rex & 1) ? 8 : 0));
                if ((pc[1] >> 6) == 1) {
                    context->Rsp = reg + (signed char)pc[2];
                    pc += 3;
                } else {
                    context->Rsp = reg + *(const LONG*)(pc + 2);
                    pc += 6;
                }
                continue;
            }
            default: /* ret, or a jump out: the return address is at RSP */
                context->Rip = *(DWORD64*)context->Rsp;
                context->Rsp += 8;
                return;
        }
    }
}

PEXCEPTION_ROUTINE RtlVirtualUnwind(DWORD HandlerType, DWORD64 ImageBase, DWORD64 ControlPc,
                                    PRUNTIME_FUNCTION FunctionEntry, PCONTEXT ContextRecord,
                                    PVOID* HandlerData, PDWORD64 EstablisherFrame,
                                    PKNONVOLATILE_CONTEXT_POINTERS ContextPointers) {
    PRUNTIME_FUNCTION function = FunctionEntry;
    const UnwindInfo* info;
    DWORD64 prolog_offset = ~0ULL;
    BOOLEAN machine_frame = FALSE, first = TRUE;
    for (;;) {
        info = (const UnwindInfo*)(ImageBase + function->UnwindData);
        DWORD64 begin = ImageBase + function->BeginAddress;
        BOOLEAN in_prolog = ControlPc >= begin && ControlPc < begin + info->SizeOfProlog;
        prolog_offset = in_prolog ? ControlPc - begin : ~0ULL;

        if (info->FrameRegister == 0) {
            *EstablisherFrame = ContextRecord->Rsp;
        } else {
            BOOLEAN frame_set = !in_prolog;
            for (ULONG i = 0; !frame_set && i < info->CountOfCodes;
                 i += code_slots(info->UnwindCode[i])) {
                frame_set = info->UnwindCode[i].s.UnwindOp == UWOP_SET_FPREG &&
                            info->UnwindCode[i].s.CodeOffset <= prolog_offset;
            }
            *EstablisherFrame = frame_set ? *integer_register(ContextRecord, info->FrameRegister) -
                                                info->FrameOffset * 16
                                          : ContextRecord->Rsp;
        }

        if (first && !in_prolog && is_inside_epilog((const BYTE*)ControlPc, ImageBase, function)) {
            interpret_epilog((const BYTE*)ControlPc, ContextRecord, ContextPointers);
            return NULL;
        }
        first = FALSE;

        DWORD64 frame = *EstablisherFrame;
        for (ULONG i = 0; i < info->CountOfCodes; i += code_slots(info->UnwindCode[i])) {
            UnwindCode code = info->UnwindCode[i];
            if (prolog_offset < code.s.CodeOffset) {
                continue; /* not yet done by the prolog */
            }
            ULONG op_info = code.s.OpInfo;
            switch (code.s.UnwindOp) {
                case UWOP_PUSH_NONVOL:
                    pop_register(ContextRecord, op_info, ContextPointers);
                    break;
                case UWOP_ALLOC_LARGE:
                    ContextRecord->Rsp +=
                        op_info == 0 ? info->UnwindCode[i + 1].FrameOffset * 8ULL
                                     : info->UnwindCode[i + 1].FrameOffset +
                                           ((DWORD64)info->UnwindCode[i + 2].FrameOffset << 16);
                    break;
                case UWOP_ALLOC_SMALL:
                    ContextRecord->Rsp += op_info * 8 + 8;
                    break;
                case UWOP_SET_FPREG:
                    ContextRecord->Rsp = *integer_register(ContextRecord, info->FrameRegister) -
                                         info->FrameOffset * 16;
                    break;
                case UWOP_SAVE_NONVOL:
                case UWOP_SAVE_NONVOL_FAR: {
                    DWORD64 offset = code.s.UnwindOp == UWOP_SAVE_NONVOL
                                         ? info->UnwindCode[i + 1].FrameOffset * 8ULL
                                         : info->UnwindCode[i + 1].FrameOffset +
                                               ((DWORD64)info->UnwindCode[i + 2].FrameOffset << 16);
                    DWORD64* slot = (DWORD64*)(frame + offset);
                    *integer_register(ContextRecord, op_info) = *slot;
                    if (ContextPointers != NULL) {
                        ContextPointers->IntegerContext[op_info] = slot;
                    }
                    break;
                }
                case UWOP_SAVE_XMM128:
                case UWOP_SAVE_XMM128_FAR: {
                    DWORD64 offset = code.s.UnwindOp == UWOP_SAVE_XMM128
                                         ? info->UnwindCode[i + 1].FrameOffset * 16ULL
                                         : info->UnwindCode[i + 1].FrameOffset +
                                               ((DWORD64)info->UnwindCode[i + 2].FrameOffset << 16);
                    M128A* slot = (M128A*)(frame + offset);
                    ContextRecord->u.FltSave.XmmRegisters[op_info] = *slot;
                    if (ContextPointers != NULL) {
                        ContextPointers->FloatingContext[op_info] = slot;
                    }
                    break;
                }
                case UWOP_PUSH_MACHFRAME:
                    /* An interrupt's frame: RIP, CS, EFLAGS, RSP, SS, after an error code if
                     * OpInfo says there is one. */
                    if (op_info != 0) {
                        ContextRecord->Rsp += 8;
                    }
                    ContextRecord->Rip = ((DWORD64*)ContextRecord->Rsp)[0];
                    ContextRecord->Rsp = ((DWORD64*)ContextRecord->Rsp)[3];
                    machine_frame = TRUE;
                    break;
                default: /* UWOP_EPILOG and UWOP_SPARE_CODE describe, they do not restore */
                    break;
            }
        }
        if (!(info->Flags & UNW_FLAG_CHAININFO)) {
            break;
        }
        function = (PRUNTIME_FUNCTION)&info->UnwindCode[(info->CountOfCodes + 1) & ~1];
    }
    if (!machine_frame) {
        ContextRecord->Rip = *(DWORD64*)ContextRecord->Rsp;
        ContextRecord->Rsp += 8;
    }
    if (!(info->Flags & HandlerType) || prolog_offset != ~0ULL) {
        return NULL;
    }
    /* After the codes (an even count of slots): the handler's RVA, then its data. */
    const DWORD* handler = (const DWORD*)&info->UnwindCode[(info->CountOfCodes + 1) & ~1];
    *HandlerData = (PVOID)(handler + 1);
    return (PEXCEPTION_ROUTINE)(ImageBase + *handler);
}

/* ---- Walking frames ------------------------------------------------------------------------ */

/* Unwinds CONTEXT one frame, in place: its establisher frame and the handler of TYPE, if any,
 * with what the dispatcher context needs. A pc with no function entry is a leaf. */
static PEXCEPTION_ROUTINE unwind_frame(DWORD type, PCONTEXT context, PDISPATCHER_CONTEXT dispatch) {
    dispatch->ControlPc = context->Rip;
    dispatch->FunctionEntry = RtlLookupFunctionEntry(context->Rip, &dispatch->ImageBase, NULL);
    dispatch->HandlerData = NULL;
    if (dispatch->FunctionEntry == NULL) {
        dispatch->EstablisherFrame = context->Rsp;
        context->Rip = *(DWORD64*)context->Rsp;
        context->Rsp += 8;
        return NULL;
    }
    return RtlVirtualUnwind(type, dispatch->ImageBase, dispatch->ControlPc, dispatch->FunctionEntry,
                            context, &dispatch->HandlerData, &dispatch->EstablisherFrame, NULL);
}

/* Whether FRAME is a plausible establisher frame: on the thread's stack and 8-byte aligned. */
static BOOLEAN frame_on_stack(DWORD64 frame) {
    DWORD64 limit, base;
    ntoy_unwind_stack_bounds(&limit, &base);
    return frame >= limit && frame < base && (frame & 7) == 0;
}

/* One CONTEXT, unwound in place as in Windows' RtlDispatchException: handlers get it (their
 * caller's state) as DispatcherContext->ContextRecord. Little stack matters here: a stack
 * overflow is dispatched on what is left of the stack. */
BOOLEAN ntoy_dispatch_to_frames(PEXCEPTION_RECORD record, PCONTEXT context) {
    CONTEXT walk = *context;
    DISPATCHER_CONTEXT dispatch;
    for (;;) {
        DWORD64 rsp = walk.Rsp;
        PEXCEPTION_ROUTINE handler = unwind_frame(UNW_FLAG_EHANDLER, &walk, &dispatch);
        if (!frame_on_stack(dispatch.EstablisherFrame)) {
            record->ExceptionFlags |= EXCEPTION_STACK_INVALID;
            return FALSE;
        }
        if (handler != NULL) {
            dispatch.TargetIp = 0;
            dispatch.ContextRecord = &walk;
            dispatch.LanguageHandler = handler;
            dispatch.HistoryTable = NULL;
            dispatch.ScopeIndex = 0;
            EXCEPTION_DISPOSITION disposition =
                handler(record, (PVOID)dispatch.EstablisherFrame, context, &dispatch);
            record->ExceptionFlags &= ~EXCEPTION_NESTED_CALL;
            if (disposition == ExceptionContinueExecution) {
                if (record->ExceptionFlags & EXCEPTION_NONCONTINUABLE) {
                    raise_status(STATUS_NONCONTINUABLE_EXCEPTION, record);
                }
                return TRUE;
            }
            if (disposition != ExceptionContinueSearch) {
                raise_status(STATUS_INVALID_DISPOSITION, record);
            }
        }
        if (walk.Rip == 0 || walk.Rsp <= rsp || !frame_on_stack(walk.Rsp)) {
            return FALSE; /* past the thread's outermost frame */
        }
    }
}

/* ---- RtlUnwindEx and RtlUnwind ------------------------------------------------------------- */

VOID RtlUnwindEx(PVOID TargetFrame, PVOID TargetIp, PEXCEPTION_RECORD ExceptionRecord,
                 PVOID ReturnValue, PCONTEXT ContextRecord, PUNWIND_HISTORY_TABLE HistoryTable) {
    (void)HistoryTable;
    EXCEPTION_RECORD local;
    if (ExceptionRecord == NULL) {
        local.ExceptionCode = (DWORD)STATUS_UNWIND;
        local.ExceptionFlags = 0;
        local.ExceptionRecord = NULL;
        local.ExceptionAddress = NULL;
        local.NumberParameters = 0;
        ExceptionRecord = &local;
    }
    CONTEXT* context = ContextRecord;
    CONTEXT next;
    RtlCaptureContext(context);
    if (ExceptionRecord == &local) {
        local.ExceptionAddress = (PVOID)context->Rip;
    }
    ExceptionRecord->ExceptionFlags |= EXCEPTION_UNWINDING;
    if (TargetFrame == NULL) {
        ExceptionRecord->ExceptionFlags |= EXCEPTION_EXIT_UNWIND;
    }
    DISPATCHER_CONTEXT dispatch;
    for (;;) {
        next = *context;
        PEXCEPTION_ROUTINE handler = unwind_frame(UNW_FLAG_UHANDLER, &next, &dispatch);
        if (!frame_on_stack(dispatch.EstablisherFrame)) {
            raise_status(STATUS_BAD_STACK, ExceptionRecord);
        }
        if (TargetFrame != NULL && dispatch.EstablisherFrame > (DWORD64)TargetFrame) {
            raise_status(STATUS_INVALID_UNWIND_TARGET, ExceptionRecord);
        }
        if (handler != NULL) {
            if (dispatch.EstablisherFrame == (DWORD64)TargetFrame) {
                ExceptionRecord->ExceptionFlags |= EXCEPTION_TARGET_UNWIND;
            }
            dispatch.TargetIp = (DWORD64)TargetIp;
            dispatch.ContextRecord = context;
            dispatch.LanguageHandler = handler;
            dispatch.HistoryTable = NULL;
            dispatch.ScopeIndex = 0;
            EXCEPTION_DISPOSITION disposition =
                handler(ExceptionRecord, (PVOID)dispatch.EstablisherFrame, context, &dispatch);
            ExceptionRecord->ExceptionFlags &=
                ~(EXCEPTION_TARGET_UNWIND | EXCEPTION_COLLIDED_UNWIND);
            if (disposition != ExceptionContinueSearch) {
                raise_status(STATUS_INVALID_DISPOSITION, ExceptionRecord);
            }
        }
        if (dispatch.EstablisherFrame == (DWORD64)TargetFrame) {
            break;
        }
        if (TargetFrame == NULL && (next.Rip == 0 || !frame_on_stack(next.Rsp))) {
            /* An exit unwind ran every handler: the thread ends, as on Windows. */
            ntoy_unwind_exit((NTSTATUS)ExceptionRecord->ExceptionCode);
        }
        *context = next;
    }
    context->Rax = (DWORD64)ReturnValue;
    context->Rip = (DWORD64)TargetIp;
    ntoy_unwind_resume(context);
}

VOID RtlUnwind(PVOID TargetFrame, PVOID TargetIp, PEXCEPTION_RECORD ExceptionRecord,
               PVOID ReturnValue) {
    CONTEXT context;
    RtlUnwindEx(TargetFrame, TargetIp, ExceptionRecord, ReturnValue, &context, NULL);
}
