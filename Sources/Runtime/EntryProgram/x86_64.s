/* estiba-entry for x86_64: a whole ELF file, flat. */
        .set BASE, 0x400000
        .text
ehdr:
        .byte 0x7f, 'E', 'L', 'F', 2, 1, 1, 0
        .quad 0
        .word 2                 /* ET_EXEC */
        .word 62                /* EM_X86_64 */
        .long 1
        .quad BASE + start - ehdr
        .quad phdr - ehdr       /* e_phoff */
        .quad 0                 /* e_shoff */
        .long 0
        .word 64, 56, 1, 0, 0, 0
phdr:
        .long 1                 /* PT_LOAD */
        .long 5                 /* R + X */
        .quad 0
        .quad BASE, BASE
        .quad end - ehdr, end - ehdr
        .quad 0x1000
start:
        mov     (%rsp), %rbx            /* argc */
        cmp     $4, %rbx
        jl      refuse
        mov     16(%rsp), %rsi          /* argv[1]: the marker */
        mov     (%rsi), %rax
        movabs  $0x6162697473652d2d, %rcx   /* "--estiba" */
        cmp     %rcx, %rax
        jne     refuse
        mov     24(%rsp), %rdi          /* argv[2]: the path */
        lea     32(%rsp), %rsi          /* &argv[3] */
        lea     16(%rsp,%rbx,8), %rdx   /* envp */
        mov     $59, %eax               /* execve */
        syscall
        mov     %eax, %r12d             /* -errno */
        lea     cannot(%rip), %rsi
        mov     $cannot_end - cannot, %edx
        call    say
        mov     24(%rsp), %rsi
        xor     %edx, %edx
1:      cmpb    $0, (%rsi,%rdx)
        je      2f
        inc     %rdx
        jmp     1b
2:      call    say
        lea     newline(%rip), %rsi
        mov     $1, %edx
        call    say
        mov     $126, %edi
        cmp     $-2, %r12d              /* ENOENT */
        jne     3f
        mov     $127, %edi
3:      mov     $231, %eax              /* exit_group */
        syscall
refuse:
        lea     refused(%rip), %rsi
        mov     $refused_end - refused, %edx
        call    say
        mov     $126, %edi
        mov     $231, %eax
        syscall
say:                                    /* write(2, rsi, rdx) */
        mov     $2, %edi
        mov     $1, %eax
        syscall
        ret
cannot: .ascii "estiba-entry: cannot execute "
cannot_end:
refused: .ascii "estiba-entry: this program only starts container processes\n"
refused_end:
newline: .ascii "\n"
end:
