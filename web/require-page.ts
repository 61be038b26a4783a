// Which pages a person may open: the guard each group of routes puts in front of its pages.
import type { NextFunction, Request, Response } from 'express';
import type { Principal } from '../services/access';
import { render, locals } from './render';

/** Pages for signed-in people the check admits; others are sent to sign in (or told they may not). */
export function requirePage(admits: (p: Principal) => boolean) {
  return (req: Request, res: Response, next: NextFunction) => {
    const p = locals(res).principal;
    if (!p) return res.redirect(303, `/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
    if (!admits(p)) return render(req, res, 'error', { message: 'error.forbidden' }, 403);
    next();
  };
}
