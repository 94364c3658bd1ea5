# Rewrites the assembly LLVM 22 writes for Xtensa so that every L32R literal pool sits in its
# own section, `.literal.<section of its function>`, which the linker script places just
# before that function. LLVM puts each pool (`.literal` lines after `.literal_position`) at
# the end of the *previous* function's section, unaligned, and resolves some same-section
# L32R offsets one word short; in a section of its own every literal load gets a relocation
# that GNU ld resolves exactly. See toolchains/xtensa/README.md.
/^[ \t]*\.literal_position[ \t]*$/ { next }
/^[ \t]*\.literal[ \t]/ {
  line = $0
  sub(/^[ \t]*\.literal[ \t]+/, "", line)
  comma = index(line, ",")
  pool[++count] = substr(line, 1, comma - 1) ":\n\t.long\t" substr(line, comma + 1)
  next
}
count > 0 && (/^[ \t]*\.text[ \t]*$/ || /^[ \t]*\.section[ \t]+\.text/) {
  section = ".text"
  if ($1 == ".section") { section = $2; sub(/,.*/, "", section) }
  print "\t.section\t.literal" section ",\"ax\",@progbits"
  print "\t.p2align\t2"
  for (i = 1; i <= count; i++) print pool[i]
  count = 0
}
{ print }
END {
  if (count > 0) { print "literal_sections.awk: a literal pool without a function after it" > "/dev/stderr"; exit 1 }
}
