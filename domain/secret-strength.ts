// When a secret chosen by a person (ADMIN_TOKEN) is too easy to guess to be let in: the bootstrap
// admin token opens every door of the API, and a stranger may try as many as the failed-token
// limit allows. The rule is deliberately plain, so the refusal can say exactly what is wrong:
//   - at least 32 characters;
//   - at least 10 different characters;
//   - not a shorter piece repeated ("abcdabcd…");
//   - no run of more than 5 characters in sequence: the same one ("aaaaaa"), counting up
//     ("012345", "abcdef") or down ("fedcba").
// A random token (`openssl rand -hex 24`, what `npm start` generates) passes: a 32-character hex
// token fails the last two checks about once in 10 000 draws, and the message says to draw again.

export const SECRET_MIN_LENGTH = 32;
export const SECRET_MIN_DISTINCT = 10;
export const SECRET_MAX_RUN = 5;

/** Why `secret` is too weak, in words that finish "… is too weak: <reason>"; null when it passes. */
export function secretWeakness(secret: string): string | null {
  const chars = Array.from(secret);
  if (chars.length < SECRET_MIN_LENGTH) return `it has ${chars.length} characters; at least ${SECRET_MIN_LENGTH} are needed`;
  const distinct = new Set(chars).size;
  if (distinct < SECRET_MIN_DISTINCT) return `it uses only ${distinct} different characters; at least ${SECRET_MIN_DISTINCT} are needed`;
  const period = smallestPeriod(chars);
  if (period * 2 <= chars.length) return `it is a piece of ${period} characters repeated`;
  const run = longestRun(chars);
  if (run > SECRET_MAX_RUN) return `it contains ${run} characters in sequence (such as "aaaaaa", "123456" or "fedcba"); at most ${SECRET_MAX_RUN} are allowed`;
  return null;
}

/** The length of the shortest piece whose repetition spells `chars` (prefix function, linear). */
function smallestPeriod(chars: string[]): number {
  const border = new Array<number>(chars.length).fill(0);
  for (let i = 1; i < chars.length; i++) {
    let k = border[i - 1];
    while (k > 0 && chars[i] !== chars[k]) k = border[k - 1];
    if (chars[i] === chars[k]) k++;
    border[i] = k;
  }
  return chars.length - border[chars.length - 1];
}

/** The longest stretch in which each character is the previous one plus the same step of -1, 0 or +1. */
function longestRun(chars: string[]): number {
  let longest = 1;
  let length = 1;
  let step: number | null = null;
  for (let i = 1; i < chars.length; i++) {
    const d = chars[i].codePointAt(0)! - chars[i - 1].codePointAt(0)!;
    if (Math.abs(d) <= 1 && (step === null || d === step)) {
      length++;
      step = d;
    } else if (Math.abs(d) <= 1) {
      // A new stretch starts at the previous character, with this step.
      length = 2;
      step = d;
    } else {
      length = 1;
      step = null;
    }
    longest = Math.max(longest, length);
  }
  return longest;
}
