import json,sys,os,glob
A,B=sys.argv[1],sys.argv[2]
def load(tag,c):
    b=f'/tmp/cmp/{tag}/{c}'
    try: j=json.load(open(b+'.json'))
    except Exception as e: return None
    return dict(n=j['schedules'],ex=j['exhausted'],ds=j['distinct_states'],
        oc=sorted(k for k,v in j['outcomes'].items() if v),
        set=open(b+'.set').read(), t=float(open(b+'.time').read()))
cells=sorted(os.path.basename(p)[:-5] for p in glob.glob(f'/tmp/cmp/{A}/*.json'))
same=diff=skip=sup=0
for c in cells:
    a=load(A,c); b=load(B,c)
    if not a or not b: print(c,'missing'); continue
    st=''
    if a['ex'] and b['ex']:
        ok = a['oc']==b['oc'] and a['ds']==b['ds'] and a['set']==b['set']
        st='SAME' if ok else 'DIFF'
        same+=ok; diff+=not ok
    elif b['ex'] and not a['ex']:
        sa=set(a['set'].split('\n'))-{''}; sb=set(b['set'].split('\n'))-{''}
        ok = set(a['oc'])<=set(b['oc']) and sa<=sb
        st='SUPERSET' if ok else 'MISSING'; sup+=ok; diff+=not ok
    else: st='capped'; skip+=1
    print(f"{c:32s} {a['n']:>8d}{'' if a['ex'] else '+'} {a['t']:6.2f}s -> {b['n']:>8d}{'' if b['ex'] else '+'} {b['t']:6.2f}s  ds {a['ds']}/{b['ds']} {st} {','.join(a['oc'])}" + ('' if a['oc']==b['oc'] else ' vs '+','.join(b['oc'])))
print('same',same,'superset(base capped)',sup,'diff/missing',diff,'both capped',skip)
