;; im2col and col2im for conv2d (conv.ts), float64, instantiated on the memory of a matrix
;; kernels' arena (matmul.wat), so patches are written where the SIMD products read them.
;; Copy loops here run several times faster than the same loops in JavaScript (measured on the
;; chapter 6 shapes: the JavaScript im2col took about as long as the product itself).
;;
;; Both take byte offsets: x = the first channel of one image [C, H, W], col = its patches, the
;; columns of a [C·kh·kw × ·] matrix whose rows are ld bytes apart (several images side by side):
;; col[(c·kh + a)·kw + b][i·Wo + j] = x[c, i·sh − pt + a, j·sw − pl + b], 0 in the padding.
;; col2im adds every entry back to its input position (the transpose of im2col).
;;
;; Assembled by scripts/build-conv-wasm.ts into conv.wasm.ts (no features beyond the MVP).
(module
  (import "env" "memory" (memory 1))

  ;; First valid output column for kernel column b: ceil((pl − b) / sw), clamped to [0, Wo].
  (func $first (param $b i32) (param $Wo i32) (param $sw i32) (param $pl i32) (result i32)
    (local $t i32) (local $j i32)
    (local.set $t (i32.sub (local.get $pl) (local.get $b)))
    (if (i32.le_s (local.get $t) (i32.const 0)) (then (return (i32.const 0))))
    (local.set $j (i32.div_u (i32.add (local.get $t) (i32.sub (local.get $sw) (i32.const 1))) (local.get $sw)))
    (select (local.get $Wo) (local.get $j) (i32.gt_u (local.get $j) (local.get $Wo))))

  ;; One past the last valid output column: floor((W − 1 + pl − b) / sw) + 1, clamped to [j0, Wo].
  (func $last (param $b i32) (param $W i32) (param $Wo i32) (param $sw i32) (param $pl i32) (param $j0 i32) (result i32)
    (local $t i32) (local $j i32)
    (local.set $t (i32.sub (i32.add (i32.sub (local.get $W) (i32.const 1)) (local.get $pl)) (local.get $b)))
    (if (i32.lt_s (local.get $t) (i32.const 0)) (then (return (local.get $j0))))
    (local.set $j (i32.add (i32.div_u (local.get $t) (local.get $sw)) (i32.const 1)))
    (if (i32.gt_u (local.get $j) (local.get $Wo)) (then (local.set $j (local.get $Wo))))
    (select (local.get $j0) (local.get $j) (i32.lt_u (local.get $j) (local.get $j0))))

  (func (export "im2col_f64")
    (param $x i32) (param $col i32) (param $ld i32) (param $C i32) (param $H i32) (param $W i32) (param $kh i32) (param $kw i32)
    (param $Ho i32) (param $Wo i32) (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32)
    (local $c i32) (local $a i32) (local $b i32) (local $i i32) (local $iy i32)
    (local $j0 i32) (local $j1 i32) (local $plane i32) (local $o i32) (local $p i32) (local $end i32)
    (local $s i32) (local $swb i32) (local $rowEnd i32) (local $row i32)
    (local.set $swb (i32.shl (local.get $sw) (i32.const 3)))
    (local.set $row (local.get $col))
    (local.set $c (i32.const 0))
    (block $cdone (loop $cl
      (br_if $cdone (i32.ge_u (local.get $c) (local.get $C)))
      (local.set $plane (i32.add (local.get $x) (i32.shl (i32.mul (local.get $c) (i32.mul (local.get $H) (local.get $W))) (i32.const 3))))
      (local.set $a (i32.const 0))
      (block $adone (loop $al
        (br_if $adone (i32.ge_u (local.get $a) (local.get $kh)))
        (local.set $b (i32.const 0))
        (block $bdone (loop $bl
          (br_if $bdone (i32.ge_u (local.get $b) (local.get $kw)))
          (local.set $o (local.get $row))
          (local.set $j0 (call $first (local.get $b) (local.get $Wo) (local.get $sw) (local.get $pl)))
          (local.set $j1 (call $last (local.get $b) (local.get $W) (local.get $Wo) (local.get $sw) (local.get $pl) (local.get $j0)))
          (local.set $i (i32.const 0))
          (block $idone (loop $il
            (br_if $idone (i32.ge_u (local.get $i) (local.get $Ho)))
            (local.set $iy (i32.add (i32.sub (i32.mul (local.get $i) (local.get $sh)) (local.get $pt)) (local.get $a)))
            (local.set $rowEnd (i32.add (local.get $o) (i32.shl (local.get $Wo) (i32.const 3))))
            (local.set $p (local.get $o))
            (if (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (local.get $iy) (local.get $H)))
              (then
                ;; zeros before j0
                (local.set $end (i32.add (local.get $o) (i32.shl (local.get $j0) (i32.const 3))))
                (block $z0 (loop $z0l
                  (br_if $z0 (i32.ge_u (local.get $p) (local.get $end)))
                  (f64.store (local.get $p) (f64.const 0))
                  (local.set $p (i32.add (local.get $p) (i32.const 8)))
                  (br $z0l)))
                ;; the valid columns: s = plane + 8·(iy·W + j0·sw − pl + b)
                (local.set $s (i32.add (local.get $plane)
                  (i32.shl (i32.add (i32.sub (i32.add (i32.mul (local.get $iy) (local.get $W)) (i32.mul (local.get $j0) (local.get $sw))) (local.get $pl)) (local.get $b)) (i32.const 3))))
                (local.set $end (i32.add (local.get $o) (i32.shl (local.get $j1) (i32.const 3))))
                (block $cp (loop $cpl
                  (br_if $cp (i32.ge_u (local.get $p) (local.get $end)))
                  (f64.store (local.get $p) (f64.load (local.get $s)))
                  (local.set $p (i32.add (local.get $p) (i32.const 8)))
                  (local.set $s (i32.add (local.get $s) (local.get $swb)))
                  (br $cpl)))))
            ;; zeros to the end of the row (the whole row when iy is in the padding)
            (block $z1 (loop $z1l
              (br_if $z1 (i32.ge_u (local.get $p) (local.get $rowEnd)))
              (f64.store (local.get $p) (f64.const 0))
              (local.set $p (i32.add (local.get $p) (i32.const 8)))
              (br $z1l)))
            (local.set $o (local.get $rowEnd))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $il)))
          (local.set $row (i32.add (local.get $row) (local.get $ld)))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br $bl)))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $al)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cl))))

  (func (export "col2im_f64")
    (param $col i32) (param $ld i32) (param $x i32) (param $C i32) (param $H i32) (param $W i32) (param $kh i32) (param $kw i32)
    (param $Ho i32) (param $Wo i32) (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32)
    (local $c i32) (local $a i32) (local $b i32) (local $i i32) (local $iy i32)
    (local $j0 i32) (local $j1 i32) (local $plane i32) (local $o i32) (local $p i32) (local $end i32)
    (local $s i32) (local $swb i32) (local $row i32)
    (local.set $swb (i32.shl (local.get $sw) (i32.const 3)))
    (local.set $row (local.get $col))
    (local.set $c (i32.const 0))
    (block $cdone (loop $cl
      (br_if $cdone (i32.ge_u (local.get $c) (local.get $C)))
      (local.set $plane (i32.add (local.get $x) (i32.shl (i32.mul (local.get $c) (i32.mul (local.get $H) (local.get $W))) (i32.const 3))))
      (local.set $a (i32.const 0))
      (block $adone (loop $al
        (br_if $adone (i32.ge_u (local.get $a) (local.get $kh)))
        (local.set $b (i32.const 0))
        (block $bdone (loop $bl
          (br_if $bdone (i32.ge_u (local.get $b) (local.get $kw)))
          (local.set $o (local.get $row))
          (local.set $j0 (call $first (local.get $b) (local.get $Wo) (local.get $sw) (local.get $pl)))
          (local.set $j1 (call $last (local.get $b) (local.get $W) (local.get $Wo) (local.get $sw) (local.get $pl) (local.get $j0)))
          (local.set $i (i32.const 0))
          (block $idone (loop $il
            (br_if $idone (i32.ge_u (local.get $i) (local.get $Ho)))
            (local.set $iy (i32.add (i32.sub (i32.mul (local.get $i) (local.get $sh)) (local.get $pt)) (local.get $a)))
            (if (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (local.get $iy) (local.get $H)))
              (then
                (local.set $p (i32.add (local.get $o) (i32.shl (local.get $j0) (i32.const 3))))
                (local.set $end (i32.add (local.get $o) (i32.shl (local.get $j1) (i32.const 3))))
                (local.set $s (i32.add (local.get $plane)
                  (i32.shl (i32.add (i32.sub (i32.add (i32.mul (local.get $iy) (local.get $W)) (i32.mul (local.get $j0) (local.get $sw))) (local.get $pl)) (local.get $b)) (i32.const 3))))
                (block $ad (loop $adl
                  (br_if $ad (i32.ge_u (local.get $p) (local.get $end)))
                  (f64.store (local.get $s) (f64.add (f64.load (local.get $s)) (f64.load (local.get $p))))
                  (local.set $p (i32.add (local.get $p) (i32.const 8)))
                  (local.set $s (i32.add (local.get $s) (local.get $swb)))
                  (br $adl)))))
            (local.set $o (i32.add (local.get $o) (i32.shl (local.get $Wo) (i32.const 3))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $il)))
          (local.set $row (i32.add (local.get $row) (local.get $ld)))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br $bl)))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $al)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cl))))
)
