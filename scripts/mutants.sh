#!/usr/bin/env bash
# Mutation testing of the security core with cargo-mutants (https://mutants.rs/), one file at a
# time, each with the test targets a developer would run for it. Not run by CI: every mutant is a
# rebuild, so the whole list takes hours on a small machine.
#
#   cargo install cargo-mutants --locked
#   scripts/mutants.sh                      # every file below
#   scripts/mutants.sh src/state.rs ...     # only these files
#
# Mutants are applied in place (`--in-place`, which is one job: cargo-mutants refuses `--jobs`
# with it), so the worktree's `target/` is reused and
# nothing is copied; do not edit the tree while it runs. Results go to target/mutants/<file>/
# (caught.txt, missed.txt, timeout.txt, unviable.txt); the last lines print the score per file:
# caught / (caught + missed + timeout), unviable mutants (that do not build) left out.
#
# Environment: MUTANTS_TIMEOUT (seconds per mutant's test run, default 90: the slowest slice takes about 15 s on a quiet machine, and a mutant that loops forever costs the whole timeout),
# MUTANTS_BUILD_TIMEOUT (seconds per build, default 900), MUTANTS_BASELINE=skip to skip the
# unmutated run that checks the tests pass first.
set -uo pipefail
cd "$(dirname "$0")/.."

# file | cargo test targets | libtest filters. The targets go to every cargo invocation
# (`--cargo-arg`), so a mutant's build compiles only them, not every example and test binary.
# Every lib test is in a `tests` module, so the filter `tests::` keeps them all while a second
# filter picks the integration slice.
TARGETS=(
  "src/state.rs|--lib|"
  "src/return_to.rs|--lib|"
  "src/callback.rs|--lib|"
  "src/same_origin.rs|--lib --test=integration|tests:: layer::"
  "src/pending.rs|--lib|"
  "src/attempt_cookies.rs|--lib --test=integration|tests:: layer:: instances::redis_outage"
  "src/store/attempts.rs|--lib|"
  "src/id_token/b64.rs|--lib|"
  "src/id_token/fast_json.rs|--lib|"
  "src/id_token/claims.rs|--lib|"
  "src/id_token/verifier.rs|--lib --test=integration|tests:: id_token::"
  "src/token_door.rs|--lib --test=integration|tests:: token_doors::"
  "src/link/access.rs|--lib --test=integration|tests:: link::"
)

timeout="${MUTANTS_TIMEOUT:-90}"
build_timeout="${MUTANTS_BUILD_TIMEOUT:-900}"
selected=("$@")
summary=()

saved="$(mktemp -d)"
trap 'rm -rf "$saved"' EXIT
[ -d proptest-regressions ] && cp -a proptest-regressions "$saved/"

count() { if [ -f "$1" ]; then grep -c . "$1"; else echo 0; fi; }

for entry in "${TARGETS[@]}"; do
  IFS='|' read -r file targets filters <<<"$entry"
  if [ "${#selected[@]}" -gt 0 ] && [[ ! " ${selected[*]} " == *" $file "* ]]; then
    continue
  fi
  out="target/mutants/$(echo "$file" | tr '/.' '__')"
  rm -rf "$out/mutants.out"
  mkdir -p "$out"
  cargo_args=()
  for target in $targets; do cargo_args+=("--cargo-arg=$target"); done
  filter_args=()
  if [ -n "$filters" ]; then
    # shellcheck disable=SC2206 # the filters are meant to be split
    filter_args=(-- $filters)
  fi
  echo "== $file: cargo test $targets ${filter_args[*]:-}"
  cargo mutants --in-place --package line-login --file "$file" \
    --baseline "${MUTANTS_BASELINE:-run}" \
    --timeout "$timeout" --build-timeout "$build_timeout" --output "$out" \
    "${cargo_args[@]}" -- "${filter_args[@]}"
  # A mutant that fails a proptest makes it save a seed; those seeds are the mutants', not bugs.
  rm -rf proptest-regressions
  if [ -d "$saved/proptest-regressions" ]; then
    cp -a "$saved/proptest-regressions" .
  fi
  dir="$out/mutants.out"
  caught=$(count "$dir/caught.txt")
  missed=$(count "$dir/missed.txt")
  timeouts=$(count "$dir/timeout.txt")
  unviable=$(count "$dir/unviable.txt")
  viable=$((caught + missed + timeouts))
  score=$([ "$viable" -gt 0 ] && echo "$((100 * caught / viable))%" || echo "n/a")
  summary+=("$(printf '%-28s viable %3d  caught %3d  missed %3d  timeout %2d  unviable %3d  score %s' \
    "$file" "$viable" "$caught" "$missed" "$timeouts" "$unviable" "$score")")
  if [ "$missed" -gt 0 ]; then
    sed 's/^/    missed: /' "$dir/missed.txt"
  fi
done

echo
echo "== mutation score per file"
printf '%s\n' "${summary[@]}"
