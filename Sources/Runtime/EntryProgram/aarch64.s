/* estiba-entry for aarch64: a whole ELF file, flat. */
        .set BASE, 0x400000
        .text
ehdr:
        .byte 0x7f, 'E', 'L', 'F', 2, 1, 1, 0
        .quad 0
        .hword 2                /* ET_EXEC */
        .hword 183              /* EM_AARCH64 */
        .word 1
        .quad BASE + start - ehdr
        .quad phdr - ehdr
        .quad 0
        .word 0
        .hword 64, 56, 1, 0, 0, 0
phdr:
        .word 1                 /* PT_LOAD */
        .word 5                 /* R + X */
        .quad 0
        .quad BASE, BASE
        .quad end - ehdr, end - ehdr
        .quad 0x10000
start:
        ldr     x19, [sp]               /* argc */
        cmp     x19, #4
        b.lt    refuse
        ldr     x1, [sp, #16]           /* argv[1]: the marker */
        ldr     x2, [x1]
        movz    x3, #0x2d2d
        movk    x3, #0x7365, lsl #16
        movk    x3, #0x6974, lsl #32
        movk    x3, #0x6162, lsl #48    /* "--estiba" */
        cmp     x2, x3
        b.ne    refuse
        ldr     x0, [sp, #24]           /* argv[2]: the path */
        add     x1, sp, #32             /* &argv[3] */
        add     x2, sp, x19, lsl #3
        add     x2, x2, #16             /* envp */
        mov     x8, #221                /* execve */
        svc     #0
        mov     x20, x0                 /* -errno */
        adr     x1, cannot
        mov     x2, #(cannot_end - cannot)
        bl      say
        ldr     x1, [sp, #24]
        mov     x2, #0
1:      ldrb    w3, [x1, x2]
        cbz     w3, 2f
        add     x2, x2, #1
        b       1b
2:      bl      say
        adr     x1, newline
        mov     x2, #1
        bl      say
        mov     x0, #126
        cmn     x20, #2                 /* ENOENT */
        b.ne    3f
        mov     x0, #127
3:      mov     x8, #94                 /* exit_group */
        svc     #0
refuse:
        adr     x1, refused
        mov     x2, #(refused_end - refused)
        bl      say
        mov     x0, #126
        mov     x8, #94
        svc     #0
say:                                    /* write(2, x1, x2) */
        mov     x0, #2
        mov     x8, #64
        svc     #0
        ret
cannot: .ascii "estiba-entry: cannot execute "
cannot_end:
refused: .ascii "estiba-entry: this program only starts container processes\n"
refused_end:
newline: .ascii "\n"
end:
