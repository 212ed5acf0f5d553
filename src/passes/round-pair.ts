// Pair mode's closed-form steps: a ridge refit of the conv onto the drifted inputs, then error-feedback (GPTQ-style) power-of-two rounding of the shift rows.
import { FACTORS, roundPow2, topExponent } from './pair-math.js';

/** Ridge strength relative to the Gram matrix's mean diagonal (keeps dead or constant inputs well posed). */
const DAMP = 0.01;

/** H = cov(Z) + DAMP * mean(diag) * I (D x D): the patches' centred second moments. */
export function patchGram(Z: Float64Array, D: number): Float64Array {
  const P = Z.length / D;
  const H = new Float64Array(D * D);
  for (let p = 0; p < P; p++) {
    const o = p * D;
    for (let i = 0; i < D; i++) {
      const zi = Z[o + i]!;
      if (zi === 0) continue;
      const row = i * D;
      for (let j = i; j < D; j++) H[row + j] += zi * Z[o + j]!;
    }
  }
  // Centred: the bias is refitted after rounding, so an error in the mean output costs nothing.
  const mean = new Float64Array(D);
  for (let p = 0; p < P; p++) for (let i = 0; i < D; i++) mean[i] += Z[p * D + i]! / P;
  for (let i = 0; i < D; i++) for (let j = i; j < D; j++) H[i * D + j] -= P * mean[i]! * mean[j]!;
  let tr = 0;
  for (let i = 0; i < D; i++) tr += H[i * D + i]!;
  const damp = (DAMP * tr) / D + 1e-12;
  for (let i = 0; i < D; i++) {
    for (let j = i; j < D; j++) { H[i * D + j] /= Math.max(1, P); H[j * D + i] = H[i * D + j]!; }
    H[i * D + i] += damp / Math.max(1, P);
  }
  return H;
}

/** In-place lower Cholesky factor of a symmetric positive definite D x D matrix (upper part zeroed). */
function cholesky(A: Float64Array, D: number): Float64Array {
  for (let j = 0; j < D; j++) {
    let d = A[j * D + j]!;
    for (let k = 0; k < j; k++) d -= A[j * D + k]! ** 2;
    const l = Math.sqrt(Math.max(d, 1e-300));
    A[j * D + j] = l;
    for (let i = j + 1; i < D; i++) {
      let s = A[i * D + j]!;
      for (let k = 0; k < j; k++) s -= A[i * D + k]! * A[j * D + k]!;
      A[i * D + j] = s / l;
    }
    for (let k = j + 1; k < D; k++) A[j * D + k] = 0;
  }
  return A;
}

/** H^-1 from its lower Cholesky factor L (H = L L^T): solve L X = I, then H^-1 = X^T X. */
function inverseFromCholesky(L: Float64Array, D: number): Float64Array {
  const X = new Float64Array(D * D);
  for (let c = 0; c < D; c++) {
    for (let i = c; i < D; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= L[i * D + k]! * X[k * D + c]!;
      X[i * D + c] = s / L[i * D + i]!;
    }
  }
  const inv = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    for (let j = i; j < D; j++) {
      let s = 0;
      for (let k = j; k < D; k++) s += X[k * D + i]! * X[k * D + j]!;
      inv[i * D + j] = s;
      inv[j * D + i] = s;
    }
  }
  return inv;
}

/** The Gram's inverse and the upper Cholesky factor U of that inverse (H^-1 = U^T U), as GPTQ's update needs. */
export function gramFactors(H: Float64Array, D: number): { inv: Float64Array; U: Float64Array } {
  const inv = inverseFromCholesky(cholesky(H.slice(), D), D);
  const L = cholesky(inv.slice(), D);
  const U = new Float64Array(D * D);
  for (let i = 0; i < D; i++) for (let j = i; j < D; j++) U[i * D + j] = L[j * D + i]!;
  return { inv, U };
}

/**
 * The conv refitted to the inputs it now receives (the paired layers before it changed them), shrunk towards the
 * original: W' = W + (cov(T - W Z, Z)) H^-1 with the centred Gram H, rows of M (T: P x M); the bias is refitted later.
 */
export function ridgeRefit(W: Float64Array, b: Float64Array, Z: Float64Array, T: Float64Array, M: number, D: number, inv: Float64Array): Float64Array {
  const P = Z.length / D;
  const G = new Float64Array(M * D);
  const mean = new Float64Array(D);
  for (let p = 0; p < P; p++) for (let i = 0; i < D; i++) mean[i] += Z[p * D + i]! / P;
  for (let p = 0; p < P; p++) {
    const zo = p * D;
    for (let m = 0; m < M; m++) {
      let r = T[p * M + m]! - b[m]!;
      for (let i = 0; i < D; i++) r -= W[m * D + i]! * Z[zo + i]!;
      if (r === 0) continue;
      for (let i = 0; i < D; i++) G[m * D + i] += (r * (Z[zo + i]! - mean[i]!)) / P;
    }
  }
  const out = W.slice();
  for (let m = 0; m < M; m++) {
    for (let j = 0; j < D; j++) {
      let s = 0;
      for (let i = 0; i < D; i++) s += G[m * D + i]! * inv[i * D + j]!;
      out[m * D + j] += s;
    }
  }
  return out;
}

/**
 * Rounds each row of S (rows x D) to f_r times signed powers of two, weight by weight, pushing each rounding error
 * onto the weights not yet rounded through U (GPTQ / optimal brain quantisation): the row's output error on the
 * patches, not its weight error, is what stays small. f_r is searched as in projectRows on the unrounded row.
 */
export function roundRowsWithFeedback(S: Float64Array, rows: number, D: number, U: Float64Array): Float64Array {
  const out = new Float64Array(S.length);
  const w = new Float64Array(D);
  for (let r = 0; r < rows; r++) {
    let bestErr = Infinity;
    let best: Float64Array | undefined;
    // Each candidate factor is rounded with feedback; the one with the least output error (sum of err^2) wins.
    for (const f of FACTORS) {
      w.set(S.subarray(r * D, (r + 1) * D));
      let max = 0;
      for (let i = 0; i < D; i++) max = Math.max(max, Math.abs(w[i]!));
      if (max === 0) { best = new Float64Array(D); break; }
      const top = topExponent(max, f);
      const q = new Float64Array(D);
      let err = 0;
      for (let i = 0; i < D; i++) {
        q[i] = roundPow2(w[i]!, f, top);
        const e = (w[i]! - q[i]!) / U[i * D + i]!;
        err += e * e;
        for (let j = i + 1; j < D; j++) w[j] -= e * U[i * D + j]!;
      }
      if (err < bestErr) { bestErr = err; best = q; }
    }
    out.set(best!, r * D);
  }
  return out;
}
